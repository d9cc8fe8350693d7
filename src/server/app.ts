/**
 * The HTTP server: Fastify with zod schemas (validation and the OpenAPI
 * document at /docs), auth and rate limits on /api, Prometheus metrics, health
 * checks, the run routes and the web app's static files.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { AccountStore, AuditLog } from '../auth/index.js';
import type { FmcConfig } from '../config/index.js';
import { RunStore, type Db } from '../store/index.js';
import { sqliteSql } from '../store/sql.js';
import { describeAccess, installAuth, Tickets } from './auth.js';
import type { ServerBackends } from './backends.js';
import { JobQueue } from './jobs.js';
import { loggerOptions, type LogSettings } from './logging.js';
import { createMetrics } from './metrics.js';
import { radarRoutes } from './routes/radar.js';
import { oidcRoutes, type OidcSettings } from './oidc.js';
import { accountRoutes } from './routes/accounts.js';
import { modelRoutes } from './routes/models.js';
import { reviewRoutes } from './routes/review.js';
import { runRoutes } from './routes/runs.js';
import { systemRoutes } from './routes/system.js';
import { DEFAULT_MODEL_PATH, lastLoaded } from '../classify/index.js';
import { loadModel } from '../classify/model.js';
import { ModelRegistry } from '../models/registry.js';

export interface ServerOptions {
  /** The embedded store (SQLite in the data directory); uploads run in this process's threads. */
  db?: Db;
  /** Or other backends (the cluster's), made with the server's logger: one of `db` and `backends` is given. */
  backends?: (log: FastifyBaseLogger) => Promise<ServerBackends>;
  /** Rate limits counted in this Redis, shared by every replica (default: in this process). */
  rateLimitRedisUrl?: string;
  dataDir: string;
  config: FmcConfig;
  modelPath?: string;
  /** The legacy shared token: accepted as one admin key (`Authorization: Bearer TOKEN`). */
  apiToken?: string;
  /** How long a sign-in lasts (default 12 h). */
  sessionHours?: number;
  /** When set, /metrics needs `Authorization: Bearer KEY`. */
  metricsKey?: string;
  /** The labelled data retraining starts from (train.jsonl, and paraphrases, synthetic, dev when there are). */
  trainingData?: string;
  /** The outage radar posts incidents that open and close here. */
  alertWebhook?: string;
  /** Serve HTTPS with this certificate and key (PEM); HSTS and secure cookies follow. */
  tls?: { cert: Buffer; key: Buffer };
  /** Single sign-on with an OpenID Connect provider, beside passwords and keys. */
  oidc?: OidcSettings;
  /** Behind a reverse proxy: the client's address and protocol come from X-Forwarded-For and -Proto. */
  trustProxy?: boolean;
  /** Requests per minute and client on /api (uploads, /api/classify and sign-in attempts: a tenth of it). */
  rateLimitPerMinute?: number;
  maxUploadBytes?: number;
  /** Threads running uploads at once; more are queued. */
  threads?: number;
  /** Structured logs (pino); none when absent. */
  log?: LogSettings;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** What the routes stand on: runs, accounts, the audit log, the run queue. */
    backends: ServerBackends;
  }
}

export const DEFAULT_MAX_UPLOAD_BYTES = 32 * 2 ** 20;
/** The seed's figure: 100 requests a minute per client on /api. */
export const DEFAULT_RATE_LIMIT = 100;

/** The built web app (`vite build` writes it beside the compiled server). */
const WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** The model new runs classify with: the one named at start, else the data directory's default (its registry, read each time). */
function defaultModel(options: ServerOptions): () => string | undefined {
  const registry = new ModelRegistry(options.dataDir);
  return () => options.modelPath ?? registry.currentPath();
}

/** SQLite and piscina threads; the runs a crash or a stop left unfinished start again before anything new. */
function embeddedBackends(options: ServerOptions, modelPath: () => string | undefined, log: FastifyBaseLogger): ServerBackends {
  const { db } = options;
  if (db === undefined) throw new Error('buildServer needs the embedded database (db) or other backends');
  const queue = new JobQueue({ db, dataDir: options.dataDir, config: options.config, modelPath, threads: options.threads ?? 1 });
  const resumed = queue.resume();
  if (resumed.length > 0) log.info({ runs: resumed }, `resumed ${resumed.length} unfinished run(s)`);
  const sql = sqliteSql(db);
  return {
    runs: new RunStore(db),
    accounts: new AccountStore(sql),
    audit: new AuditLog(sql),
    queue,
    ready: () => void db.prepare('SELECT 1').get(),
  };
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const rateLimit = options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT;
  const app = Fastify({
    logger: options.log === undefined ? false : loggerOptions(options.log),
    bodyLimit: maxUploadBytes,
    trustProxy: options.trustProxy ?? false,
    ...(options.tls === undefined ? {} : { https: { cert: options.tls.cert, key: options.tls.key } }),
  }).withTypeProvider<ZodTypeProvider>();
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
  // HSTS only when this server speaks TLS itself (behind a TLS proxy, the proxy sets it).
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
    strictTransportSecurity: options.tls === undefined ? false : { maxAge: 31_536_000, includeSubDomains: true },
  });
  // Each API route's least role goes into its OpenAPI description (routes are added after this hook).
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || route.schema === undefined) return;
    const access = route.config?.access ?? 'admin';
    route.schema = { ...route.schema, description: [route.schema.description, describeAccess(access)].filter(Boolean).join('\n\n'), ...(access === 'public' ? { security: [] } : {}) };
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'FreeMobilaChat API', description: 'Six KPIs for every customer tweet: sentiment, is_claim, urgence, topics, incident, confidence.', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key from `fmc keys create`' }, session: { type: 'apiKey', in: 'cookie', name: 'fmc_session' } } },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // Swagger UI's pages get a policy of their own (staticCSP), which its styles and images need.
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
  // Shared across replicas when they share a Redis; a Redis that does not answer lets requests through rather than failing them.
  const rateLimitRedis = options.rateLimitRedisUrl === undefined ? undefined : new (await import('ioredis')).Redis(options.rateLimitRedisUrl, { connectTimeout: 1000, maxRetriesPerRequest: 1 });
  if (rateLimitRedis !== undefined) app.addHook('onClose', async () => void (await rateLimitRedis.quit().catch(() => undefined)));
  await app.register(fastifyRateLimit, {
    ...(rateLimitRedis === undefined ? {} : { redis: rateLimitRedis, nameSpace: 'fmc-rate-limit:', skipOnError: true }),
    max: rateLimit,
    timeWindow: 60_000,
    allowList: (request) => !request.url.startsWith('/api/'),
    // What the builder returns is thrown, so the error handler formats it like every other error.
    errorResponseBuilder: (_request, context) => Object.assign(new Error(`too many requests: at most ${context.max} a minute; retry in ${context.after}`), { statusCode: 429 }),
  });
  await app.register(fastifyMultipart, { limits: { fileSize: maxUploadBytes, files: 1, fields: 10 } });

  await app.register(fastifyCookie);
  const modelPath = defaultModel(options);
  const backends = options.backends === undefined ? embeddedBackends(options, modelPath, app.log) : await options.backends(app.log);
  app.decorate('backends', backends);
  const { accounts, audit, queue, runs } = backends;
  const tickets = new Tickets(accounts);
  const sessionLifetimeMs = (options.sessionHours ?? 12) * 3_600_000;
  installAuth(app, { accounts, legacyToken: options.apiToken }, tickets);

  const metrics = createMetrics(queue);
  app.addHook('onResponse', async (request, reply) => metrics.observe(request.method, request.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000));
  app.addHook('onClose', async () => queue.close());

  const postLimitPerMinute = Math.max(1, Math.round(rateLimit / 10));
  await app.register(systemRoutes, { ready: () => backends.ready(), queue, metrics, metricsKey: options.metricsKey });
  await app.register(accountRoutes, { accounts, audit, tickets, sessionLifetimeMs, signInLimitPerMinute: postLimitPerMinute, singleSignOn: options.oidc !== undefined });
  if (options.oidc !== undefined) await app.register(oidcRoutes, { settings: options.oidc, accounts, audit, sessionLifetimeMs });
  // Explanations and the review queue read the default model in this thread, loaded once per default.
  const modelAt = lastLoaded((path) => loadModel(path ?? DEFAULT_MODEL_PATH));
  const localModel = () => modelAt(modelPath());
  await app.register(runRoutes, { runs, queue, audit, dataDir: options.dataDir, config: options.config, maxUploadBytes, postLimitPerMinute, localModel });
  await app.register(reviewRoutes, { runs, localModel });
  await app.register(modelRoutes, { dataDir: options.dataDir, trainingData: options.trainingData, audit, embedded: options.backends === undefined });
  await app.register(radarRoutes, { runs, queue, registry: metrics.registry, alertWebhook: options.alertWebhook });

  if (existsSync(WEB_ROOT)) await app.register(fastifyStatic, { root: WEB_ROOT, wildcard: false });
  else app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/plain').send('The web app is not built: run `npm run build`. The API is at /api and its documentation at /docs.'));
  return app;
}
