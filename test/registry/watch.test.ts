import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry, type ModelVersion } from '../../src/registry/index.js';
import { FIXTURE_MODEL, silent, tempDir } from './helpers.js';

const by = { by: 'tester', reason: 'test' };

function nextChange(reg: ReturnType<typeof openRegistry>, pollMs: number, fsWatch = true) {
  let stop = (): void => undefined;
  const changed = new Promise<ModelVersion | null>((resolve) => {
    stop = reg.watchChampion((v) => resolve(v), { pollMs, fsWatch });
  });
  return { changed, stop: () => stop() };
}

describe('registry: watchChampion', () => {
  it('fires when champion.json is replaced by rename (promotion, then rollback)', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    await reg.register(FIXTURE_MODEL);
    await reg.register(FIXTURE_MODEL);
    await reg.promote(1, by);

    const first = nextChange(reg, 60_000);
    await reg.promote(2, by);
    expect((await first.changed)?.version).toBe(2);
    first.stop();

    const second = nextChange(reg, 60_000);
    await reg.rollback(by);
    expect((await second.changed)?.version).toBe(1);
    second.stop();
  });

  it('fires for the first champion of an empty registry from the stat poll alone (no fs.watch)', async () => {
    const home = await tempDir();
    // A watcher on a registry folder that does not exist yet creates it.
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    const watch = nextChange(reg, 20, false);
    await reg.register(FIXTURE_MODEL);
    await reg.promote(1, by);
    const v = await watch.changed;
    watch.stop();
    expect(v?.is_champion).toBe(true);
    expect(v?.version).toBe(1);
  });
});

describe('registry: watchChampion with emitCurrent', () => {
  it('calls back at once with the current champion, then on each change', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    await reg.register(FIXTURE_MODEL);
    await reg.register(FIXTURE_MODEL);
    await reg.promote(1, by);
    const seen: (number | null)[] = [];
    let wake = (): void => undefined;
    const stop = reg.watchChampion(
      (v) => {
        seen.push(v?.version ?? null);
        wake();
      },
      { emitCurrent: true, pollMs: 60_000 },
    );
    const waitFor = (n: number) => new Promise<void>((resolve) => {
      wake = () => seen.length >= n && resolve();
      wake();
    });
    await waitFor(1);
    await reg.promote(2, by);
    await waitFor(2);
    stop();
    expect(seen).toEqual([1, 2]);
  });
});
