import { availableParallelism } from 'node:os';
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
    async activate() {
      await importOptional(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but the 'tensorflow' backend did not initialise`);
      // libtensorflow sizes its intra-op pool to the machine's cores and tfjs-node offers no
      // setting, so a requested thread count is not applied; report what it uses.
      return availableParallelism();
    },
  };
}

export const tfjsNodeGpu = tfjsNode('@tensorflow/tfjs-node-gpu');
export const tfjsNodeCpu = tfjsNode('@tensorflow/tfjs-node');
