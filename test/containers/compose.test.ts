import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';

// Docker can't run on our machines, so this keeps the container files honest instead:
// the compose services must call real dagctl commands with real options, and the README must describe them.
const root = path.resolve(import.meta.dirname, '../..');
interface Service {
  command?: string[]; ports?: string[]; volumes?: string[]; healthcheck?: { test: string[] }; image?: string; build?: string; profiles?: string[];
  environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>;
  deploy?: { resources?: { reservations?: { devices?: { driver: string; count: number; capabilities: string[] }[] } } };
}
const compose = parse(readFileSync(path.join(root, 'docker-compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

const program = buildProgram({ env: {}, cwd: root, stdout: () => {}, stderr: () => {}, interactive: false });
function findCommand(name: string): Command | undefined {
  return program.commands.find((c) => c.name() === name);
}
function flags(cmd: Command): string[] {
  return cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
}

const MULTIHOST = ['scheduler-a', 'scheduler-b', 'worker', 'worker-gpu', 'webserver'];

describe('docker-compose.yaml', () => {
  const dagctlServices = Object.entries(compose.services).filter(([, s]) => s.build === '.' || s.image === 'dagctl:latest');
  const defaultServices = dagctlServices.filter(([, s]) => !s.profiles);

  it('has the scheduler and serve services built from our Dockerfile', () => {
    expect(defaultServices.map(([n]) => n).sort()).toEqual(['scheduler', 'serve']);
  });

  it.each(dagctlServices.map(([n]) => n))('runs a real dagctl command with real options in %s', (name) => {
    const args = compose.services[name]?.command ?? [];
    const cmd = findCommand(args[0] ?? '');
    expect(cmd, `dagctl has no command ${args[0]}`).toBeDefined();
    for (const a of args.slice(1).filter((x) => x.startsWith('-'))) expect(flags(cmd!)).toContain(a);
  });
  it('health-checks schedulers and workers with a real `dagctl jobs check`', () => {
    for (const name of ['scheduler', 'scheduler-a', 'scheduler-b', 'worker']) {
      const test = compose.services[name]?.healthcheck?.test ?? [];
      expect(test.slice(0, 3), name).toEqual(['CMD', 'node', 'bin/dagctl.js']);
      const cmd = findCommand(test[3] ?? '')?.commands.find((c) => c.name() === test[4]);
      expect(cmd, `${name}: dagctl ${test[3]} ${test[4]}`).toBeDefined();
      for (const a of test.slice(5).filter((x) => x.startsWith('-'))) expect(flags(cmd!)).toContain(a);
    }
  });
  it('publishes the serving port the command listens on, and health-checks a serving endpoint', () => {
    const serve = compose.services.serve!;
    const port = serve.command![serve.command!.indexOf('--port') + 1];
    expect(serve.ports).toContain(`${port}:${port}`);
    expect(dockerfile).toContain(`EXPOSE ${port}`);
    expect(serve.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${port}/v2/health/live`);
  });

  it('keeps runs/ and data/ on volumes at the paths DAGCTL_HOME and the Dockerfile use', () => {
    for (const [, s] of dagctlServices) {
      expect(s.volumes).toEqual(expect.arrayContaining(['runs:/app/runs', 'data:/app/data']));
    }
    expect(dockerfile).toContain('DAGCTL_HOME=/app/runs');
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['runs', 'data']));
  });

  it('runs the image as a non-root user with production dependencies only', () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toMatch(/FROM \$\{NODE_IMAGE\} AS runtime/);
  });

  it('offers MLflow as an optional profile on port 5000', () => {
    expect(compose.services.mlflow?.profiles).toEqual(['mlflow']);
    expect(compose.services.mlflow?.ports).toContain('5000:5000');
  });

  it('keeps the default services on SQLite with the local executor', () => {
    for (const [, s] of defaultServices) {
      expect(s.environment).not.toHaveProperty('DAGCTL_DATABASE_URL');
      expect(s.environment).not.toHaveProperty('DAGCTL_EXECUTOR');
    }
  });

  it('offers a multihost profile: PostgreSQL, two schedulers, a CPU and a GPU worker, the web server', () => {
    const inProfile = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('multihost')).map(([n]) => n);
    expect(inProfile.sort()).toEqual(['postgres', ...MULTIHOST].sort());
    const pg = compose.services.postgres!;
    expect(pg.image).toBe('postgres:15');
    expect(pg.healthcheck?.test).toContain('pg_isready');
    expect(pg.volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true);
    expect(pg.environment).toMatchObject({ POSTGRES_USER: 'dagctl', POSTGRES_DB: 'dagctl' });
  });

  it.each(MULTIHOST)('points %s at the profile\'s PostgreSQL with the queue executor, once it is healthy', (name) => {
    const s = compose.services[name]!;
    const pg = compose.services.postgres!.environment!;
    const url = new URL(s.environment!.DAGCTL_DATABASE_URL!);
    expect(url.protocol).toBe('postgres:');
    expect(url.host).toBe('postgres:5432');
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
    expect(s.environment!.DAGCTL_DATABASE_URL).toContain(`:${pg.POSTGRES_PASSWORD}@`);
    expect(s.environment!.DAGCTL_EXECUTOR).toBe('queue');
    expect(s.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(s.volumes).toContain('runs:/app/runs'); // task logs, written by the workers, read by the web server
  });

  it('runs the schedulers and workers on the right queues', () => {
    expect(compose.services['scheduler-a']!.command).toEqual(['scheduler']);
    expect(compose.services['scheduler-b']!.command).toEqual(['scheduler']);
    expect(compose.services.worker!.command).toEqual(['worker', '--queues', 'default']);
    expect(compose.services['worker-gpu']!.command).toEqual(['worker', '--queues', 'gpu', '--concurrency', '1']);
  });

  it('reserves an NVIDIA GPU for worker-gpu only', () => {
    const gpu = (s: Service) => s.deploy?.resources?.reservations?.devices ?? [];
    expect(gpu(compose.services['worker-gpu']!)).toEqual([{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
    for (const [name, s] of Object.entries(compose.services)) if (name !== 'worker-gpu') expect(gpu(s)).toEqual([]);
  });

  it('publishes the web server port the command listens on, and health-checks it', () => {
    const web = compose.services.webserver!;
    expect(web.command).toEqual(expect.arrayContaining(['--host', '0.0.0.0']));
    const port = web.command![web.command!.indexOf('--port') + 1];
    expect(web.ports).toContain(`${port}:${port}`);
    expect(web.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${port}/api/v1/health`);
  });

  it('installs libpq to build pg-native and to run it', () => {
    const stage = (name: string) => dockerfile.slice(dockerfile.indexOf(`AS ${name}`)).split(/^FROM /m)[0]!;
    expect(stage('build')).toMatch(/apt-get install[^\n]*\blibpq-dev\b/);
    expect(stage('runtime')).toMatch(/apt-get install[^\n]*\blibpq5\b/);
  });

  it('is described by the README', () => {
    expect(readme).toContain('docker compose up');
    expect(readme).toContain('--profile mlflow');
    expect(readme).toContain('--profile multihost');
    expect(readme).toContain('--scale scheduler=0');
    expect(readme).toContain('## Several hosts (PostgreSQL)');
    expect(readme).toContain('http://localhost:8000');
    expect(readme).toContain('MLFLOW_TRACKING_URI=http://mlflow:5000');
  });
});
