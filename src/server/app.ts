/**
 * The HTTP server: Fastify with zod schemas (validation and the OpenAPI
 * document at /docs), auth and rate limits on /api, Prometheus metrics, health
 * checks, the run routes and the web app's static files.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FmcConfig } from '../config/index.js';
import { RunStore, type Db } from '../store/index.js';
import { JobQueue } from './jobs.js';
import { loggerOptions, type LogSettings } from './logging.js';
import { createMetrics } from './metrics.js';
import { runRoutes } from './routes/runs.js';
import { systemRoutes } from './routes/system.js';

export interface ServerOptions {
  db: Db;
  dataDir: string;
  config: FmcConfig;
  modelPath?: string;
  /** When set, every /api request needs `Authorization: Bearer TOKEN` (or `?token=` for links and SSE). */
  apiToken?: string;
  /** Requests per minute and client on /api (uploads and /api/classify: a tenth of it). */
  rateLimitPerMinute?: number;
  maxUploadBytes?: number;
  /** Threads running uploads at once; more are queued. */
  threads?: number;
  /** Structured logs (pino); none when absent. */
  log?: LogSettings;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 32 * 2 ** 20;

/** The built web app (`vite build` writes it beside the compiled server). */
const WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const app = Fastify({ logger: options.log === undefined ? false : loggerOptions(options.log), bodyLimit: maxUploadBytes }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler<FastifyError>((error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = error.validation.map((issue) => `${issue.instancePath.replace(/^\//, '') || error.validationContext}: ${issue.message}`);
      return reply.code(400).send({ statusCode: 400, error: `invalid ${error.validationContext}: ${details.join('; ')}` });
    }
    // Errors raised on purpose carry their status; anything else is a bug, logged and not shown.
    if (error.statusCode === undefined) {
      request.log.error(error);
      return reply.code(500).send({ statusCode: 500, error: 'internal error; see the server log' });
    }
    return reply.code(error.statusCode).send({ statusCode: error.statusCode, error: error.message });
  });
  app.setNotFoundHandler((request, reply) => {
    if (request.method === 'GET' && !request.url.startsWith('/api/') && existsSync(WEB_ROOT)) return reply.sendFile('index.html');
    return reply.code(404).send({ statusCode: 404, error: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  // Security headers on every answer. The page loads only its own scripts, styles and API; charts draw on canvas.
  // No upgrade-insecure-requests or HSTS: the server speaks plain HTTP (behind a TLS proxy, the proxy sets them).
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    strictTransportSecurity: false,
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'FreeMobilaChat API', description: 'Six KPIs for every customer tweet: sentiment, is_claim, urgence, topics, incident, confidence.', version: '1' },
      components: options.apiToken === undefined ? {} : { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: options.apiToken === undefined ? [] : [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // Swagger UI's pages get a policy of their own (staticCSP), which its styles and images need.
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
  await app.register(fastifyRateLimit, {
    max: options.rateLimitPerMinute ?? 600,
    timeWindow: 60_000,
    allowList: (request) => !request.url.startsWith('/api/'),
    // What the builder returns is thrown, so the error handler formats it like every other error.
    errorResponseBuilder: (_request, context) => Object.assign(new Error(`too many requests: at most ${context.max} a minute; retry in ${context.after}`), { statusCode: 429 }),
  });
  await app.register(fastifyMultipart, { limits: { fileSize: maxUploadBytes, files: 1, fields: 10 } });

  if (options.apiToken !== undefined) {
    const expected = `Bearer ${options.apiToken}`;
    app.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/api/')) return;
      const token = new URL(request.url, 'http://local').searchParams.get('token');
      if (request.headers.authorization === expected || token === options.apiToken) return;
      return reply.code(401).send({ statusCode: 401, error: 'missing or wrong API token: send Authorization: Bearer TOKEN' });
    });
  }

  const queue = new JobQueue({ db: options.db, dataDir: options.dataDir, config: options.config, modelPath: options.modelPath, threads: options.threads ?? 1 });
  const metrics = createMetrics(queue);
  app.addHook('onResponse', async (request, reply) => metrics.observe(request.method, request.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000));
  app.addHook('onClose', async () => queue.close());

  const runs = new RunStore(options.db);
  await app.register(systemRoutes, { db: options.db, queue, metrics });
  await app.register(runRoutes, { runs, queue, dataDir: options.dataDir, config: options.config, maxUploadBytes, postLimitPerMinute: Math.max(1, Math.round((options.rateLimitPerMinute ?? 600) / 10)) });

  if (existsSync(WEB_ROOT)) await app.register(fastifyStatic, { root: WEB_ROOT, wildcard: false });
  else app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/plain').send('The web app is not built: run `npm run build`. The API is at /api and its documentation at /docs.'));
  return app;
}
