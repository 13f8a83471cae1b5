/**
 * `dagctl init [dir]`: scaffolds a project that keeps its DAGs in its own repository and depends on dagctl:
 * package.json, tsconfig.json, a first DAG in dags/, and a .gitignore for the state folder. Never overwrites.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { topCommand } from '../command.js';
import { UsageError } from '../errors.js';
import type { CommandModule } from '../program.js';

/** This dagctl's own folder: the new project depends on it until a published version replaces the path. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

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

function files(name: string): Record<string, string> {
  return {
    'package.json': `${JSON.stringify(
      {
        name,
        private: true,
        type: 'module',
        scripts: { dags: 'dagctl dags list', scheduler: 'dagctl scheduler', typecheck: 'tsc --noEmit' },
        dependencies: { dagctl: `file:${PACKAGE_ROOT.replace(/\/$/, '')}` },
        devDependencies: { typescript: '^5.9', '@types/node': '^20' },
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
      const plan = files(path.basename(root).toLowerCase().replace(/[^a-z0-9._-]+/g, '-') || 'dags');
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
    });
export default init;
