import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ModelHolder } from '../model-holder.js';
import type { ServedModel } from '../model.js';
import { renderHome } from '../pages/home.js';
import { renderModels } from '../pages/models.js';
import type { Reloader } from '../reloader.js';
import type { ModelSource } from '../source.js';

export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

/**
 * Content hashes of the bundled assets, computed once at startup. Pages link `/static/app.js?v=<hash>`,
 * so the files can be cached for a year as immutable and a new release still reaches every browser.
 */
function assetHashes(): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const name of readdirSync(PUBLIC_DIR)) {
    hashes.set(name, createHash('sha256').update(readFileSync(path.join(PUBLIC_DIR, name))).digest('hex').slice(0, 12));
  }
  return hashes;
}

interface Deps {
  holder: ModelHolder<ServedModel>;
  reloader: Reloader;
  source: ModelSource;
  maxUploadBytes: number;
  explain: boolean;
}

export function pageRoutes(d: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const hashes = assetHashes();
    const asset = (name: string): string => `/static/${name}?v=${hashes.get(name) ?? '0'}`;
    // wildcard: false registers one route per file found at startup, so a request path is only ever
    // matched against that fixed list and never joined onto a directory.
    await app.register(fastifyStatic, {
      root: PUBLIC_DIR,
      prefix: '/static/',
      wildcard: false,
      maxAge: 365 * 24 * 3600 * 1000,
      immutable: true,
      etag: true,
      lastModified: true,
    });

    // The pages load only their own assets; the preview is a blob: URL; nothing may frame them.
    app.addHook('onSend', async (_req, reply, payload) => {
      if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
        void reply.header('content-security-policy', "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
        void reply.header('x-content-type-options', 'nosniff');
        void reply.header('referrer-policy', 'no-referrer');
      }
      return payload;
    });

    app.get('/', async (_req, reply) => {
      const m = d.holder.current;
      const html = renderHome(
        { modelVersion: m?.ref.version ?? null, promotedAt: m?.ref.promotedAt ?? null, ready: m !== null, maxUploadMb: d.maxUploadBytes / 1048576, explain: d.explain },
        asset,
      );
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
    });

    app.get('/models', async (_req, reply) => {
      const m = d.holder.current;
      const html = renderModels(
        {
          versions: await d.source.history(),
          servingVersion: m?.ref.version ?? null,
          servingDir: m?.ref.dir ?? null,
          sourceDescription: d.source.description,
          lastReloadError: d.reloader.lastFailure,
        },
        asset,
      );
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
    });
  };
}
