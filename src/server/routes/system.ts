/** Health, readiness and metrics: open to probes and scrapers, never rate-limited; metrics behind a key of their own when one is set. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { secretsEqual } from '../../auth/index.js';
import type { MaybePromise, RunQueue } from '../backends.js';
import type { ServerMetrics } from '../metrics.js';

export const systemRoutes: FastifyPluginAsyncZod<{ ready: () => MaybePromise<void>; queue: RunQueue; metrics: ServerMetrics; metricsKey: string | undefined }> = async (app, { ready, queue, metrics, metricsKey }) => {
  app.get('/healthz', { schema: { tags: ['system'], summary: 'the process answers', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['system'],
        summary: 'the database answers and runs can be queued',
        response: { 200: z.object({ status: z.literal('ready'), queued: z.number(), running: z.number() }), 503: z.object({ statusCode: z.number(), error: z.string() }) },
      },
    },
    async (_request, reply) => {
      try {
        await ready();
      } catch (error) {
        return reply.code(503).send({ statusCode: 503, error: `not ready: ${error instanceof Error ? error.message : String(error)}` });
      }
      return { status: 'ready' as const, queued: queue.queued, running: queue.running };
    },
  );

  app.get('/metrics', { schema: { tags: ['system'], summary: 'Prometheus metrics (with --metrics-key: Authorization: Bearer KEY)' } }, async (request, reply) => {
    if (metricsKey !== undefined && !secretsEqual(request.headers.authorization ?? '', `Bearer ${metricsKey}`)) {
      return reply.code(401).send({ statusCode: 401, error: 'metrics need Authorization: Bearer METRICS_KEY' });
    }
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
