import * as tf from '@tensorflow/tfjs-core';
import type { Activator } from './activator.js';
import { importOptional } from './optional-import.js';

const HINT =
  'install libtensorflow bindings where the network allows: `npm install --no-save @tensorflow/tfjs-node@4.22.0` ' +
  '(or @tensorflow/tfjs-node-gpu with CUDA 11.2 + cuDNN 8), or use --backend auto; see docs/backends.md';

/**
 * @tensorflow/tfjs-node(-gpu): TF's C library, the fastest option. They are optionalDependencies
 * whose install script downloads libtensorflow, so on machines without that network they are
 * simply absent and we fall through.
 */
function tfjsNode(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Activator {
  return {
    name: 'tensorflow',
    package: pkg,
    hint: HINT,
    async activate({ threads }) {
      await importOptional(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but the 'tensorflow' backend did not initialise`);
      // libtensorflow sizes its intra-op pool to the machine's cores by default; we do not override it.
      return threads;
    },
  };
}

export const tfjsNodeGpu = tfjsNode('@tensorflow/tfjs-node-gpu');
export const tfjsNodeCpu = tfjsNode('@tensorflow/tfjs-node');
