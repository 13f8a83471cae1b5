// Types for the part of lib/norm.js the tests use (the package's public API is index.d.ts).
import type * as tf from '@tensorflow/tfjs-core';

export function markedZeros(core: typeof tf, shape: number[]): tf.Tensor;
