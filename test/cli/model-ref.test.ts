import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/registry/index.js';
import { FIXTURES, writeTinyModel } from '../serve/helpers.js';
import { dagctl, json, tempHome } from './harness.js';

// `--model champion|N|DIR` on predict/evaluate resolves through the registry under DAGCTL_HOME.
const xray = path.join(FIXTURES, 'pneumonia-1.jpeg');
let home: string;
let cleanup: () => void;

type Prediction = { p_pneumonia: number };

beforeAll(async () => {
  ({ home, cleanup } = tempHome());
  const registry = openRegistry({ root: path.join(home, 'registry'), logger: pino({ level: 'silent' }) });
  for (const seed of [1, 2]) {
    const { version } = await registry.register(await writeTinyModel(path.join(home, `model-${seed}`), { seed }));
    await registry.promote(version, { by: 'test', reason: `seed ${seed}` });
  }
});
afterAll(() => cleanup());

describe('--model references', () => {
  const predict = async (ref: string) => dagctl(home, ['predict', '--model', ref, '--backend', 'cpu', '-o', 'json', xray]);

  it('predicts with the champion, which is the last promoted version', async () => {
    const [champion, v1, v2] = await Promise.all([predict('champion'), predict('1'), predict('2')]);
    const p = (r: Awaited<ReturnType<typeof predict>>) => json<Prediction[]>(r)[0]!.p_pneumonia;
    expect(p(champion)).toBe(p(v2));
    expect(p(v1)).not.toBe(p(v2));
  });

  it('says which versions exist when one is unknown', async () => {
    const r = await predict('9');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/version 9/);
  });
});
