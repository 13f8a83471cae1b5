import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { openRegistry } from '../../registry/index.js';
import { isBackendName, type BackendName } from '../../training/backends/types.js';
import type { ModelSource } from '../../serve/index.js';
import { DEFAULT_QUEUE_CAPACITY } from '../../serve/queue.js';
import { topCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { positiveInt } from '../parse.js';
import type { CommandModule } from '../program.js';
import { stopOnSignals } from '../signals.js';

interface ServeFlags {
  port: number;
  host: string;
  model: string;
  maxUploadMb: number;
  queue: number;
  backend: string;
}

function port(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535');
  return n;
}

function megabytes(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 1024) throw new InvalidArgumentError('expected a size in MB, e.g. 10');
  return n;
}

/** `--model`: 'champion' follows the registry, a number pins a registered version, anything else is a folder. */
export async function resolveModelSource(ref: string, c: CliContext): Promise<ModelSource> {
  // Loaded on use: fastify and TF.js cost seconds of start-up that `dagctl --help` should not pay.
  const { championSource, folderSource, pinnedVersionSource } = await import('../../serve/index.js');
  const registryRoot = path.join(c.config.home, 'registry');
  if (ref === 'champion') return championSource(openRegistry({ root: registryRoot, logger: c.logger }));
  const version = /^v?(\d+)$/.exec(ref);
  if (version) return pinnedVersionSource(openRegistry({ root: registryRoot, logger: c.logger }), Number(version[1]));
  const dir = path.resolve(c.cwd, ref);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`--model ${ref}: no such model folder (${dir})`, 'pass champion, a registered version number, or a folder written by `dagctl train`');
  }
  return folderSource(dir);
}

const serve: CommandModule = (ctx) =>
  topCommand('serve', ctx)
    .description('Serve the X-ray upload page, POST /predict, the KServe V2 API and /metrics; follows the registry champion by default')
    .option('--port <n>', 'TCP port (0 picks a free one)', port, 8000)
    .option('--host <host>', 'interface to listen on (0.0.0.0 for all)', '127.0.0.1')
    .option('--model <ref>', 'champion (followed, hot-reloaded) | VERSION (pinned) | DIR (a model folder)', 'champion')
    .option('--max-upload-mb <mb>', 'largest accepted upload, in MB', megabytes, 10)
    .option('--queue <n>', 'requests admitted at once; more get 503', positiveInt, DEFAULT_QUEUE_CAPACITY)
    .option('--backend <name>', 'TF.js backend: auto | tensorflow | native-cpu | wasm | webgpu | cpu', 'auto')
    .action(async (o: ServeFlags) => {
      const c = ctx();
      if (o.backend !== 'auto' && !isBackendName(o.backend)) throw new UsageError(`unknown backend ${o.backend}`, 'use auto, tensorflow, native-cpu, wasm, webgpu or cpu');
      const source = await resolveModelSource(o.model, c);
      const { startServer } = await import('../../serve/index.js');
      const { initBackend, releaseBackend } = await import('../../training/backends/index.js');
      const backend = await initBackend(o.backend as BackendName | 'auto', c.logger);
      const stop = stopOnSignals();
      try {
        const server = await startServer({
          source,
          logger: c.logger,
          host: o.host,
          port: o.port,
          maxUploadBytes: Math.round(o.maxUploadMb * 1024 * 1024),
          queueCapacity: o.queue,
          backend: `${backend.name} (${backend.threads} threads)`,
        });
        const m = server.current();
        c.err.line(`serve: ${server.url}  model ${m ? (m.ref.version === null ? m.ref.dir : `v${m.ref.version}`) : 'none yet (waiting for a champion)'}  source ${source.description}  backend ${backend.name}`);
        await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
        await server.close();
        c.err.line(`serve: stopped (${stop.received() ?? 'signal'})`);
      } finally {
        stop.dispose();
        releaseBackend();
      }
    });
export default serve;
