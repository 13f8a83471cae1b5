import * as tf from '@tensorflow/tfjs-core';
import type { Activator } from './activator.js';
import { importOptional } from './optional-import.js';

const PACKAGE = '@dagctl/tfjs-backend-native';

interface NativeModule {
  register(opts?: { threads?: number }): Promise<{ name: 'native-cpu'; threads: number }>;
}

/** Our oneDNN addon (helper N's package); absent or unbuilt addons are a normal fallback. */
export const nativeCpu: Activator = {
  name: 'native-cpu',
  package: PACKAGE,
  hint: 'build the native backend (packages/tfjs-backend-native, needs libdnnl-dev and a C++ toolchain) or use --backend auto',
  async activate({ threads }) {
    const mod = await importOptional(PACKAGE);
    if (typeof mod['register'] !== 'function') throw new Error(`${PACKAGE} does not export register()`);
    const registered = await (mod as unknown as NativeModule).register({ threads });
    if (tf.getBackend() !== registered.name && !(await tf.setBackend(registered.name))) {
      throw new Error(`${PACKAGE} registered '${registered.name}' but it did not initialise`);
    }
    return registered.threads;
  },
};
