/** The page shell every UI page shares: header, who is logged in, the CSRF token the scripts send, the state palette. */
import type { WebUser } from '../context.js';
import { html, Html } from './html.js';
import { stateCss } from './states.js';

export interface PageOptions {
  title: string;
  user: WebUser | null;
  /** The CSRF token actions send as `x-csrf-token`. */
  csrf: string;
  body: Html;
  /** Scripts under /static/ this page needs (actions.js is always there). */
  scripts?: string[];
  /** The DAG the page is about: its name in the header and the tabs. */
  dagId?: string;
  tab?: 'grid' | 'graph' | 'trigger';
}

export const canEdit = (user: WebUser | null): boolean => user !== null && user.role !== 'Viewer';

const STATE_CSS = new Html(stateCss());

function tabs(dagId: string, tab: PageOptions['tab'], user: WebUser | null): Html {
  const link = (name: NonNullable<PageOptions['tab']>, label: string) =>
    html`<a class="tab${tab === name ? ' active' : ''}" href="/dags/${encodeURIComponent(dagId)}/${name}">${label}</a>`;
  return html`<nav class="tabs">${link('grid', 'Grid')}${link('graph', 'Graph')}${canEdit(user) ? link('trigger', 'Trigger') : ''}</nav>`;
}

export function page(o: PageOptions): Html {
  const scripts = ['actions.js', ...(o.scripts ?? [])];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${o.csrf}">
<title>${o.title} - dagctl</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css">
<style>${STATE_CSS}</style>
</head>
<body data-role="${o.user?.role ?? ''}">
<header class="top">
  <a class="brand" href="/home">dagctl</a>
  <a href="/home">DAGs</a>
  <span class="spacer"></span>
  ${o.user ? html`<span class="who" title="role">${o.user.username} (${o.user.role})</span> <a href="/logout">Log out</a>` : ''}
</header>
<main>
${o.dagId ? html`<h1 class="dag-title"><a href="/dags/${encodeURIComponent(o.dagId)}/grid">${o.dagId}</a></h1>${tabs(o.dagId, o.tab, o.user)}` : ''}
<div id="flash" class="flash" role="alert" hidden></div>
${o.body}
</main>
${scripts.map((s) => html`<script src="/static/${s}" defer></script>`)}
</body>
</html>`;
}
