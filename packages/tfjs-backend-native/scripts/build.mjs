// Install step: compile the addon with node-gyp, but never fail `npm install`/`npm ci`. Where
// oneDNN's headers or a compiler are missing, the reason is written to build/failure.txt and
// register() reports it (with the apt command) at run time; the trainer then falls back.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const failureFile = join(root, 'build', 'failure.txt');

function nodeGypCommand() {
  // npm exports the path of its bundled node-gyp to install scripts.
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(bundled)) return [process.execPath, bundled];
  return ['node-gyp'];
}

// The first line of build/failure.txt is the summary register() reports; the rest is the log.
function fail(summary, log = '') {
  mkdirSync(dirname(failureFile), { recursive: true });
  writeFileSync(failureFile, `${summary}\n${log}`);
  console.warn(`@dagctl/tfjs-backend-native: native addon NOT built (the 'native-cpu' backend will be unavailable).`);
  console.warn(summary);
  if (log) console.warn(log.trim().split('\n').slice(-15).join('\n'));
  console.warn('To enable it: apt-get install -y libdnnl-dev g++ make && npm rebuild @dagctl/tfjs-backend-native');
  process.exit(0);
}

// A stale addon from an earlier build must not load after this one fails.
rmSync(join(root, 'build'), { recursive: true, force: true });
if (process.env.DAGCTL_SKIP_NATIVE === '1') fail('skipped: DAGCTL_SKIP_NATIVE=1');

// Headers: $DNNL_INCLUDE_DIR, else pkg-config's includedir, else Debian/Ubuntu's /usr/include.
const pc = spawnSync('pkg-config', ['--variable=includedir', 'dnnl'], { encoding: 'utf8' });
const include = process.env.DNNL_INCLUDE_DIR || (pc.status === 0 && pc.stdout.trim()) || '/usr/include';
if (!existsSync(join(include, 'dnnl.hpp'))) {
  fail(`oneDNN headers not found (no ${join(include, 'dnnl.hpp')}); install libdnnl-dev (apt-get install -y libdnnl-dev)`);
}

// Offline machines: node-gyp would download Node's headers; point it at the installed ones instead.
const args = ['rebuild'];
const prefix = join(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${prefix}`);

const [cmd, ...pre] = nodeGypCommand();
const r = spawnSync(cmd, [...pre, ...args], { cwd: root, encoding: 'utf8', env: process.env });
if (r.status !== 0) {
  fail(
    `compiling the addon failed (node-gyp exit ${r.status ?? r.error?.message}; is a C++ compiler installed? log: ${failureFile})`,
    (r.stdout ?? '') + (r.stderr ?? ''),
  );
}
console.log('@dagctl/tfjs-backend-native: built build/Release/tfjs_native.node');
