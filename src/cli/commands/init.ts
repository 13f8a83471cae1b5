/**
 * `dagctl init [dir]`: scaffolds a project that keeps its DAGs in its own repository and depends on dagctl:
 * package.json, tsconfig.json, a first DAG in dags/, and a .gitignore for the state folder. Never overwrites.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { topCommand } from '../command.js';
import { UsageError } from '../errors.js';
import type { CommandModule } from '../program.js';

/** This dagctl's own folder. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/[\\/]$/, '');

/**
 * What the new project's package.json says for dagctl: this checkout by its `file:` path; or, where this dagctl is
 * itself installed in a project's node_modules (from a tarball, say), whatever that project depends on, so the new
 * one installs the same package rather than linking into another project's node_modules.
 */
function dagctlSpec(packageRoot: string): string {
  const at = packageRoot.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (at < 0) return `file:${packageRoot}`;
  const owner = packageRoot.slice(0, at);
  const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  try {
    const pkg = JSON.parse(readFileSync(path.join(owner, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    const spec = pkg.dependencies?.['dagctl'] ?? pkg.devDependencies?.['dagctl'];
    if (spec?.startsWith('file:')) return `file:${path.resolve(owner, spec.slice('file:'.length))}`;
    if (spec !== undefined) return spec;
  } catch {
    // no readable package.json above node_modules (npx's own cache, say): fall back to the version
  }
  return `^${version}`;
}

/**
 * npm runs a dependency's install script only where allowScripts says so (it warns today, and is moving to
 * blocking). better-sqlite3 needs its native binding and esbuild (under tsx) its binary; tfjs-node(-gpu) would
 * download libtensorflow for a training backend a DAG project does not need (dagctl falls back without it).
 */
const ALLOW_SCRIPTS = { 'better-sqlite3': true, esbuild: true, webgpu: true, '@tensorflow/tfjs-node': false, '@tensorflow/tfjs-node-gpu': false };

const FIRST_DAG = `// A first DAG: \`npx dagctl trigger hello --wait\`. Reference: the authoring guide in dagctl's docs/authoring.md.
import { BashOperator, DAG, FunctionOperator } from 'dagctl';

const dag = new DAG({ dagId: 'hello', schedule: null, isPausedUponCreation: false, params: { who: 'world' } });
const greet = dag.group('greet');
const name = greet.add(new FunctionOperator({ taskId: 'name', fn: (ctx) => String(ctx.params.who) }));
const shout = greet.add(new BashOperator({ taskId: 'shout', bashCommand: 'echo HELLO' }));
const say = dag.add(new FunctionOperator({ taskId: 'say', fn: (ctx) => \`\${ctx.xcomPull(shout)} \${ctx.xcomPull(name)}\` }));
greet.then(say);
export default dag;
`;

function files(name: string, spec: string): Record<string, string> {
  return {
    'package.json': `${JSON.stringify(
      {
        name,
        private: true,
        type: 'module',
        scripts: { dags: 'dagctl dags list', scheduler: 'dagctl scheduler', typecheck: 'tsc --noEmit' },
        dependencies: { dagctl: spec },
        devDependencies: { typescript: '^5.9', '@types/node': '^20' },
        allowScripts: ALLOW_SCRIPTS,
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `${JSON.stringify(
      { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, include: ['dags'] },
      null,
      2,
    )}\n`,
    'dags/hello.ts': FIRST_DAG,
    '.gitignore': 'node_modules/\nruns/\n',
  };
}

const init: CommandModule = (ctx) =>
  topCommand('init', ctx)
    .description('Create a project for your own DAGs (package.json, tsconfig.json, dags/hello.ts, .gitignore)')
    .argument('[dir]', 'where (created if missing)', '.')
    .action((dir: string) => {
      const c = ctx();
      const root = path.resolve(dir);
      const spec = dagctlSpec(PACKAGE_ROOT);
      const plan = files(path.basename(root).toLowerCase().replace(/[^a-z0-9._-]+/g, '-') || 'dags', spec);
      const clash = Object.keys(plan).filter((f) => existsSync(path.join(root, f)));
      if (clash.length > 0) {
        throw new UsageError(`${root} already has ${clash.join(', ')}; dagctl init never overwrites`, 'run it in an empty folder, or pass a new one: `dagctl init my-dags`');
      }
      for (const [f, text] of Object.entries(plan)) {
        mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
        writeFileSync(path.join(root, f), text);
        c.out.line(`created ${path.join(dir, f)}`);
      }
      c.out.line(`\nnext: cd ${dir} && npm install && npx dagctl trigger hello --wait`);
      if (spec === `file:${PACKAGE_ROOT}`) c.out.line('(or from a packed dagctl: npm install /path/to/dagctl-<version>.tgz, in place of npm install)');
    });
export default init;
