import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { formatError } from '../../src/cli/errors.js';
import { openRegistry } from '../../src/registry/index.js';
import { makeModel, silent, tempDir } from './helpers.js';

async function dagctl(home: string, ...args: string[]): Promise<{ out: string; err: string; error?: unknown }> {
  let out = '';
  let err = '';
  const program = buildProgram({ env: { USER: 'tester', DAGCTL_LOG_LEVEL: 'silent' }, cwd: home, stdout: (t) => (out += t), stderr: (t) => (err += t), interactive: false });
  try {
    await program.parseAsync(['node', 'dagctl', '--home', home, ...args]);
    return { out, err };
  } catch (error) {
    return { out, err, error };
  }
}

describe('dagctl models', () => {
  it('lists versions with the champion marked and key metrics, and promotes and rolls back', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    await reg.register(await makeModel(home, 'a', { auc: 0.91234, accuracy: 0.8, recall: 0.95, specificity: 0.6 }));
    await reg.register(await makeModel(home, 'b', { auc: 0.95, accuracy: 0.85, recall: 0.97, specificity: 0.7 }));

    expect((await dagctl(home, 'models', 'promote', '1', '--reason', 'first')).out).toContain('Promoted pneumonia v1 to champion (no previous champion)');
    expect((await dagctl(home, 'models', 'promote', 'v2')).out).toContain('Promoted pneumonia v2 to champion (was v1)');

    const rows = JSON.parse((await dagctl(home, 'models', 'list', '-o', 'json')).out) as Record<string, unknown>[];
    expect(rows.map((r) => [r.version, r.champion, r.auc])).toEqual([
      [1, '', 0.9123],
      [2, '*', 0.95],
    ]);
    expect(rows[1]?.promoted_at).toEqual(expect.any(String));
    const table = (await dagctl(home, 'models', 'list')).out;
    expect(table).toMatch(/version.*champion.*created_at.*promoted_at.*auc.*accuracy.*recall.*specificity.*threshold/);

    expect((await dagctl(home, 'models', 'rollback', '--reason', 'bad v2')).out).toContain('Rolled back pneumonia v1 to champion (was v2)');
    const shown = JSON.parse((await dagctl(home, 'models', 'show', 'champion', '-o', 'json')).out) as Record<string, unknown>;
    expect(shown).toMatchObject({ version: 1, is_champion: true });
    const history = JSON.parse((await dagctl(home, 'models', 'history', '-o', 'json')).out) as Record<string, unknown>[];
    expect(history.map((h) => [h.action, h.version, h.promoted_by, h.reason])).toEqual([
      ['promote', 1, 'cli:tester', 'first'],
      ['promote', 2, 'cli:tester', 'manual promotion'],
      ['rollback', 1, 'cli:tester', 'bad v2'],
    ]);
  });

  it('explains an unknown version and an empty registry with hints', async () => {
    const home = await tempDir();
    const missing = await dagctl(home, 'models', 'show', '4');
    expect(formatError(missing.error, false)).toMatch(/error: model pneumonia has no version 4\nhint: the registry is empty/);
    const none = await dagctl(home, 'models', 'rollback');
    expect(formatError(none.error, false)).toMatch(/nothing to roll back\nhint: promote a specific version/);
    expect((await dagctl(home, 'models', 'list')).out).toContain('No data found');
  });
});
