import * as tf from '@tensorflow/tfjs-core';
import type { Activator } from './activator.js';

/** Pure JavaScript, always available, very slow for conv nets: the last resort. */
export const cpu: Activator = {
  name: 'cpu',
  package: '@tensorflow/tfjs-backend-cpu',
  hint: 'the cpu backend ships with this project; reinstall dependencies (npm ci)',
  async activate() {
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') failed");
    // Its first write prints a banner telling Node users to install tfjs-node; we already logged why we run on cpu.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
    return 1;
  },
};
