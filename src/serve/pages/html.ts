/** Minimal HTML templating: every interpolated value goes through `esc`, nothing else is raw. */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** Static asset URLs carry their content hash, so they can be cached as immutable. */
export type AssetUrl = (name: string) => string;

export function layout(o: { title: string; active: 'predict' | 'models'; asset: AssetUrl; body: string; script?: string }): string {
  const nav = (href: string, key: 'predict' | 'models', label: string): string =>
    `<a href="${href}"${o.active === key ? ' aria-current="page"' : ''}>${label}</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)}</title>
<link rel="stylesheet" href="${esc(o.asset('app.css'))}">
<link rel="icon" href="${esc(o.asset('favicon.svg'))}" type="image/svg+xml">
</head>
<body>
<header class="top">
  <span class="brand">Chest X-ray · pneumonia</span>
  <nav>${nav('/', 'predict', 'Predict')}${nav('/models', 'models', 'Models')}</nav>
</header>
<main>
${o.body}
</main>
<footer class="notice" role="note"><strong>Not a medical device.</strong> This is a research demo of a machine-learning model; it must not be used to diagnose, treat or rule out any condition. Ask a clinician.</footer>
${o.script ? `<script src="${esc(o.asset(o.script))}" defer></script>` : ''}
</body>
</html>`;
}

/** "2026-11-27 16:20 UTC" from an ISO string; the raw value stays in a <time> element. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '<span class="muted">never</span>';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return esc(iso);
  const shown = `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<time datetime="${esc(iso)}">${esc(shown)}</time>`;
}
