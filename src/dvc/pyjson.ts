/**
 * Python's `json.dumps(value, sort_keys=True)` with its defaults (separators ", " and ": ",
 * ensure_ascii=True). The .dir manifest is hashed from these exact bytes, so JSON.stringify
 * (no spaces, raw non-ASCII) would give hashes DVC does not recognise.
 */
export type PyJson = string | number | boolean | null | PyJson[] | { [key: string]: PyJson };

const ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

export function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const code = s.charCodeAt(i);
    const esc = ESCAPES[ch];
    if (esc !== undefined) out += esc;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`; // UTF-16 units, like Python
    else out += ch;
  }
  return `${out}"`;
}

/** Python sorts dict keys by code point; JS `<` compares UTF-16 units, so compare via UTF-8 bytes. */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function pyJsonDumps(value: PyJson): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    // Manifests hold only strings and integers; Python's float repr differs from JS's, so refuse rather than guess.
    if (!Number.isSafeInteger(value)) throw new Error(`pyJsonDumps supports integers only, got ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return pyJsonString(value);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  const keys = Object.keys(value).sort(compareCodePoints);
  return `{${keys.map((k) => `${pyJsonString(k)}: ${pyJsonDumps(value[k] as PyJson)}`).join(', ')}}`;
}
