import { basename, dirname } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { WebPaths } from '../../paths.js';

/**
 * The page and everything it loads, from this server only (it works offline): `/` (index.html),
 * `/static/*`, `/js/*` (compiled page scripts) and `/vendor/*` (chart.js and its date adapter).
 */
export async function pageRoutes(app: FastifyInstance, paths: WebPaths): Promise<void> {
  await app.register(fastifyStatic, { root: paths.staticDir, prefix: '/static/', index: false });
  await app.register(fastifyStatic, {
    root: paths.scriptsDir,
    prefix: '/js/',
    index: false,
    decorateReply: false,
  });
  app.get(
    '/',
    {
      schema: {
        summary: 'The page',
        response: { 200: { description: 'The page', content: { 'text/html': { schema: z.string() } } } },
      },
    },
    (_request, reply) => reply.sendFile('index.html', paths.staticDir),
  );
  // The page's own files are not part of the API document.
  const vendor = (url: string, file: string) =>
    app.get(url, { schema: { hide: true } }, (_request, reply) =>
      reply.sendFile(basename(file), dirname(file)),
    );
  vendor('/vendor/chart.umd.js', paths.chartJs);
  vendor('/vendor/chartjs-adapter-date-fns.bundle.min.js', paths.chartAdapter);
}
