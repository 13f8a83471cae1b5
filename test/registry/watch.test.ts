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
