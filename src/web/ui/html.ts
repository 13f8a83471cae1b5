/**
 * A tiny `html` tagged template: every interpolated value is HTML-escaped unless it is already Html (the
 * result of another `html` template). Arrays are joined; null, undefined and false render as nothing. Pages
 * never concatenate strings into markup, so a DAG's description or a log line cannot inject anything.
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/** Markup that is already safe: only `html` and the SVG builders (which escape their text) make it. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function render(v: unknown): string {
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Attribute-safe number formatting for SVG coordinates (no exponent, two decimals at most). */
export function num(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0';
}
