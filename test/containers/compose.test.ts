import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';

// Docker can't run on our machines, so this keeps the container files honest instead:
// the compose services must call real dagctl commands with real options, and the README must describe them.
const root = path.resolve(import.meta.dirname, '../..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, { command?: string[]; ports?: string[]; volumes?: string[]; healthcheck?: { test: string[] }; image?: string; build?: string; profiles?: string[] }>;
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

describe('docker-compose.yaml', () => {
  const dagctlServices = Object.entries(compose.services).filter(([, s]) => s.build === '.' || s.image === 'dagctl:latest');

  it('has the scheduler and serve services built from our Dockerfile', () => {
    expect(dagctlServices.map(([n]) => n).sort()).toEqual(['scheduler', 'serve']);
  });

  it.each(['scheduler', 'serve'])('runs a real dagctl command with real options in %s', (name) => {
    const args = compose.services[name]?.command ?? [];
    const cmd = findCommand(args[0] ?? '');
    expect(cmd, `dagctl has no command ${args[0]}`).toBeDefined();
    for (const a of args.slice(1).filter((x) => x.startsWith('-'))) expect(flags(cmd!)).toContain(a);
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

  it('is described by the README', () => {
    expect(readme).toContain('docker compose up');
    expect(readme).toContain('--profile mlflow');
    expect(readme).toContain('http://localhost:8000');
    expect(readme).toContain('MLFLOW_TRACKING_URI=http://mlflow:5000');
  });
});
