/**
 * The subset of configobj INI that DVC writes and reads in `.dvc/config`: `[section]` headers whose
 * names may be quoted (`['remote "name"']`), `key = value` lines with optional quotes, `#` comments
 * (whole-line, or after an unquoted value), and indentation that carries no meaning.
 */
export type ConfigSections = Map<string, Map<string, string>>;

export class ConfigSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'ConfigSyntaxError';
  }
}

function unquote(text: string): string | undefined {
  const q = text[0];
  if ((q === "'" || q === '"') && text.length >= 2 && text.endsWith(q)) return text.slice(1, -1);
  return undefined;
}

// A quoted value may be followed by a comment; an unquoted one ends at the first " #".
function parseValue(raw: string, line: number): string {
  const text = raw.trim();
  const q = text[0];
  if (q === "'" || q === '"') {
    const end = text.indexOf(q, 1);
    if (end < 0) throw new ConfigSyntaxError(line, 'unterminated quoted value');
    const after = text.slice(end + 1).trim();
    if (after !== '' && !after.startsWith('#')) throw new ConfigSyntaxError(line, 'text after a quoted value');
    return text.slice(1, end);
  }
  const hash = text.search(/\s#/);
  return (hash >= 0 ? text.slice(0, hash) : text).trim();
}

export function parseConfigObj(text: string): ConfigSections {
  const sections: ConfigSections = new Map();
  let current: Map<string, string> | undefined;
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const lineNo = i + 1;
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('[')) {
      const m = /^\[\s*(.*?)\s*\]\s*(#.*)?$/.exec(line);
      if (!m || (m[1] as string).startsWith('[')) throw new ConfigSyntaxError(lineNo, `bad section header ${line}`);
      const header = m[1] as string;
      const name = unquote(header) ?? header;
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ConfigSyntaxError(lineNo, `expected "key = value", got ${line}`);
    if (!current) throw new ConfigSyntaxError(lineNo, 'key outside of a section');
    const rawKey = line.slice(0, eq).trim();
    current.set(unquote(rawKey) ?? rawKey, parseValue(line.slice(eq + 1), lineNo));
  });
  return sections;
}

/** Later layers win key by key (`.dvc/config.local` over `.dvc/config`). */
export function mergeSections(...layers: ConfigSections[]): ConfigSections {
  const merged: ConfigSections = new Map();
  for (const layer of layers) {
    for (const [name, keys] of layer) {
      const target = merged.get(name) ?? new Map<string, string>();
      for (const [k, v] of keys) target.set(k, v);
      merged.set(name, target);
    }
  }
  return merged;
}

/** Writes sections the way configobj does (4-space indented keys, quoted section names when needed). */
export function dumpConfigObj(sections: ConfigSections): string {
  const out: string[] = [];
  for (const [name, keys] of sections) {
    out.push(/[\s"]/.test(name) ? `['${name}']` : `[${name}]`);
    for (const [k, v] of keys) out.push(`    ${k} = ${v}`);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
