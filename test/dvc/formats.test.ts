import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, selectRemote } from '../../src/dvc/config.js';
import { parseConfigObj } from '../../src/dvc/configobj.js';
import { dumpDvcFile } from '../../src/dvc/dvcfile.js';
import { legacyMd5Bytes, md5Bytes } from '../../src/dvc/hash.js';
import { dirOid, manifestBytes, parseManifest } from '../../src/dvc/manifest.js';
import { objectKey } from '../../src/dvc/objects.js';
import { getSummary } from '../../src/dvc/summary.js';
import { DvcConfigError } from '../../src/dvc/errors.js';

describe('hashing (DVC test vectors)', () => {
  it('hashes "foo" to the md5 in tests/func/test_add.py and places it at files/md5/ac/bd18…', () => {
    const oid = md5Bytes('foo');
    expect(oid).toBe('acbd18db4cc2f85cedef654fccc4a4d8');
    expect(objectKey({ oid, legacy: false })).toBe('files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8');
    expect(objectKey({ oid, legacy: true })).toBe('ac/bd18db4cc2f85cedef654fccc4a4d8');
  });

  it('gives the CRLF text vector its legacy md5-dos2unix hash and its plain 3.x hash', () => {
    const bytes = Buffer.from('a\r\nb\r\n');
    expect(legacyMd5Bytes(bytes)).toBe('dd8c6a395b5dd36c56d23275028f526c');
    expect(md5Bytes(bytes)).toBe('59b0d7772f0561efb95518f3cb8abc60');
  });

  it('leaves binary chunks alone in the legacy hash', () => {
    const bin = Buffer.from([0xff, 0xd8, 0x00, 0x0d, 0x0a, 0x01]);
    expect(legacyMd5Bytes(bin)).toBe(md5Bytes(bin));
  });
});

describe('.dir manifests', () => {
  it('matches the tests/func/test_diff.py vector byte for byte', () => {
    const bytes = manifestBytes([
      { relpath: '2', md5: md5Bytes('2') },
      { relpath: '1', md5: md5Bytes('1') },
    ]);
    expect(bytes.toString()).toBe('[{"md5": "c4ca4238a0b923820dcc509a6f75849b", "relpath": "1"}, {"md5": "c81e728d9d4c2f636f067f89cc14862c", "relpath": "2"}]');
    expect(dirOid(bytes)).toBe('5fb6b29836c388e093ca0715c872fe2a.dir');
  });

  it('matches the tests/func/api/test_data.py vector (nested path, sorted by relpath)', () => {
    const entries = [
      { relpath: 'nested/file', md5: md5Bytes('file') },
      { relpath: 'foo', md5: md5Bytes('foo') },
      { relpath: 'bar', md5: md5Bytes('bar') },
    ];
    expect(dirOid(manifestBytes(entries))).toBe('5fc28ea78987408341668eba6525ebd1.dir');
  });

  it('escapes non-ASCII like ensure_ascii and sorts by code point, not UTF-16 unit', () => {
    // U+1F600 (surrogates D83D DE00) sorts after U+FF5E by code point but before it by UTF-16 unit.
    const bytes = manifestBytes([
      { relpath: '\u{1F600}', md5: 'b' },
      { relpath: '\uFF5E', md5: 'a' },
      { relpath: 'caf\u00e9"\\', md5: 'c' },
    ]);
    expect(bytes.toString()).toBe(
      '[{"md5": "c", "relpath": "caf\\u00e9\\"\\\\"}, {"md5": "a", "relpath": "\\uff5e"}, {"md5": "b", "relpath": "\\ud83d\\ude00"}]',
    );
    expect(parseManifest(bytes, 'x').map((e) => e.relpath)).toEqual(['caf\u00e9"\\', '\uFF5E', '\u{1F600}']);
  });

  it('refuses a manifest entry that escapes the folder', () => {
    expect(() => parseManifest(Buffer.from('[{"md5": "a", "relpath": "../x"}]'), 'evil')).toThrow(/unsafe relpath/);
  });
});

describe('.dvc files', () => {
  it('writes the test_add.py out with DVC key order', () => {
    const text = dumpDvcFile({ outs: [{ path: 'foo', hash: 'md5', size: 3, md5: 'acbd18db4cc2f85cedef654fccc4a4d8' }], rest: {} });
    expect(text).toBe('outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: foo\n');
  });

  it('puts nfiles between size and hash for folders and keeps extra keys after path', () => {
    const text = dumpDvcFile({ outs: [{ desc: 'x-rays', path: 'data', hash: 'md5', nfiles: 2, size: 10, md5: 'abc.dir' }], rest: {} });
    expect(text).toBe('outs:\n- md5: abc.dir\n  size: 10\n  nfiles: 2\n  hash: md5\n  path: data\n  desc: x-rays\n');
  });

  it('quotes an all-digit md5 so YAML keeps it a string', () => {
    expect(dumpDvcFile({ outs: [{ md5: '12345678901234567890123456789012', path: 'f' }], rest: {} })).toContain("md5: '12345678901234567890123456789012'");
  });
});

describe('.dvc/config (configobj subset)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dvc-config-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('parses the example-get-started config with its quoted remote section', () => {
    const s = parseConfigObj("[core]\n    remote = public-s3\n['remote \"public-s3\"']\n    url = https://remote.dvc.org/get-started\n");
    expect(s.get('core')?.get('remote')).toBe('public-s3');
    expect(s.get('remote "public-s3"')?.get('url')).toBe('https://remote.dvc.org/get-started');
  });

  it('handles comments, quoted values and inline comments', () => {
    const s = parseConfigObj("# top\n[core]\n  remote = 'a b'  # why\n  no_scm = True # inline\n");
    expect(s.get('core')?.get('remote')).toBe('a b');
    expect(s.get('core')?.get('no_scm')).toBe('True');
  });

  it('resolves relative urls and cache.dir against .dvc/ and lets config.local override', async () => {
    const dvcDir = path.join(dir, '.dvc');
    await mkdir(dvcDir);
    await writeFile(path.join(dvcDir, 'config'), "[core]\n    remote = a\n['remote \"a\"']\n    url = ../../store\n['remote \"b\"']\n    url = http://h/p/\n    method = PUT\n[cache]\n    dir = ../cache-elsewhere\n");
    await writeFile(path.join(dvcDir, 'config.local'), "[core]\n    remote = b\n['remote \"a\"']\n    url = /mnt/store\n");
    const cfg = await loadConfig(dvcDir);
    expect(cfg.defaultRemote).toBe('b');
    expect(cfg.cacheDir).toBe(path.join(dir, 'cache-elsewhere'));
    expect(selectRemote(cfg, 'a').url).toBe('/mnt/store');
    expect(selectRemote(cfg)).toMatchObject({ name: 'b', url: 'http://h/p', method: 'PUT' });
    expect(() => selectRemote(cfg, 'nope')).toThrow(DvcConfigError);
  });

  it('reports a broken config with exit code 251 and the line', async () => {
    const dvcDir = path.join(dir, '.dvc');
    await mkdir(dvcDir);
    await writeFile(path.join(dvcDir, 'config'), '[core\nremote = x\n');
    await expect(loadConfig(dvcDir)).rejects.toMatchObject({ code: 'config', exitCode: 251, message: expect.stringContaining('line 1') });
  });
});

describe('summaries (dvc/utils/humanize.py)', () => {
  it('joins counts the way test_humanize.py expects', () => {
    expect(getSummary([['fetched', 3], ['added', ['a', 'b', 'c']], ['deleted', ['d', 'e']], ['modified', ['f', 'g']]])).toBe(
      '3 files fetched, 3 files added, 2 files deleted and 2 files modified',
    );
    expect(getSummary([['fetched', 3], ['added', ['data/']]])).toBe('3 files fetched and 1 file added');
    expect(getSummary([['pushed', 0]])).toBe('');
  });
});
