// Loads the compiled addon once. A missing build is not an error here: register() reports it,
// with the reason recorded by scripts/build.mjs at install time.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** @type {{ addon: any, error: string | null }} */
export const loaded = (() => {
  const file = process.env.DAGCTL_NATIVE_ADDON ?? join(root, 'build', 'Release', 'tfjs_native.node');
  try {
    return { addon: require(file), error: null };
  } catch (err) {
    const failure = join(root, 'build', 'failure.txt');
    const why = existsSync(failure)
      ? readFileSync(failure, 'utf8').split('\n')[0]
      : `${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    return { addon: null, error: why };
  }
})();
