// The pages and their assets, shipped prebuilt (no build step at run time): three HTML shells
// whose scripts fill them from the JSON API, and uPlot's distributed files from node_modules.
// Only the files listed here are served: a request cannot name any other path.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const ASSETS = fileURLToPath(new URL('../assets/', import.meta.url));
const UPLOT = join(dirname(createRequire(import.meta.url).resolve('uplot')), '..', 'dist');

const FILES: Record<string, { path: string; type: string }> = {
  'console.css': { path: join(ASSETS, 'console.css'), type: 'text/css' },
  'common.js': { path: join(ASSETS, 'common.js'), type: 'text/javascript' },
  'jobs.js': { path: join(ASSETS, 'jobs.js'), type: 'text/javascript' },
  'job.js': { path: join(ASSETS, 'job.js'), type: 'text/javascript' },
  'job-actions.js': { path: join(ASSETS, 'job-actions.js'), type: 'text/javascript' },
  'aggregates.js': { path: join(ASSETS, 'aggregates.js'), type: 'text/javascript' },
  'uPlot.min.css': { path: join(UPLOT, 'uPlot.min.css'), type: 'text/css' },
  'uPlot.iife.min.js': { path: join(UPLOT, 'uPlot.iife.min.js'), type: 'text/javascript' },
};

const cache = new Map<string, Buffer>();
function read(path: string): Buffer {
  let b = cache.get(path);
  if (b === undefined) {
    b = readFileSync(path);
    cache.set(path, b);
  }
  return b;
}

function page(name: string): Buffer {
  return read(join(ASSETS, `${name}.html`));
}

export function pages(app: FastifyInstance): void {
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page('jobs')));
  app.get('/jobs/:job', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page('job')));
  app.get('/aggregates/:job', async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(page('aggregates')),
  );
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const f = FILES[req.params.file];
    if (f === undefined) return reply.code(404).send({ error_code: 404, message: 'no such asset' });
    return reply.type(`${f.type}; charset=utf-8`).send(read(f.path));
  });
}
