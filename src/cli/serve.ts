/** `fmc serve`: the API and the web app until Ctrl-C or SIGTERM. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ROLES } from '../auth/index.js';
import { loadConfig } from '../config/index.js';
import { startServer } from '../server/index.js';
import { LOG_LEVELS } from '../server/logging.js';
import { resolveDataDir } from '../store/index.js';
import { UsageError } from './errors.js';
import { configFlags, SettingsFlags } from './settings.js';

const ServeOptions = SettingsFlags.extend({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  model: z.string().min(1).optional(),
  token: z.string().min(8, 'an API token needs at least 8 characters').optional(),
  metricsKey: z.string().min(16, 'a metrics key needs at least 16 characters').optional(),
  alertWebhook: z.url({ protocol: /^https?$/, error: 'the alert webhook is an http(s):// URL' }).optional(),
  trainingData: z.string().min(1).optional(),
  sessionHours: z.coerce.number().positive(),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  trustProxy: z.boolean().default(false),
  oidcIssuer: z.url().optional(),
  oidcClientId: z.string().min(1).optional(),
  oidcClientSecret: z.string().min(1).optional(),
  oidcRedirectUrl: z.url().optional(),
  oidcRoleClaim: z.string().min(1),
  oidcDefaultRole: z.enum(ROLES).optional(),
  threads: z.coerce.number().int().min(1).max(16),
  maxUploadMb: z.coerce.number().positive(),
  rateLimit: z.coerce.number().int().positive(),
  shutdownGrace: z.coerce.number().nonnegative(),
  backupDir: z.string().min(1).optional(),
  backupKeep: z.coerce.number().int().positive(),
  logLevel: z.enum(LOG_LEVELS),
  logFile: z.string().min(1).optional(),
});

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read the TLS ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

export async function serveCommand(rawOptions: unknown): Promise<void> {
  // Secrets come from the environment rather than flags, which show in `ps`; a flag still wins.
  const options = ServeOptions.parse({
    token: process.env.FMC_API_TOKEN || undefined,
    metricsKey: process.env.FMC_METRICS_KEY || undefined,
    // A chat webhook's URL is its secret.
    alertWebhook: process.env.FMC_ALERT_WEBHOOK || undefined,
    oidcClientSecret: process.env.FMC_OIDC_CLIENT_SECRET || undefined,
    trainingData: process.env.FMC_TRAINING_DATA || undefined,
    ...(rawOptions as object),
  });
  if ((options.oidcIssuer === undefined) !== (options.oidcClientId === undefined)) throw new UsageError('--oidc-issuer and --oidc-client-id go together');
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const tls = options.tlsCert === undefined || options.tlsKey === undefined ? undefined : { cert: readPem(options.tlsCert, 'certificate'), key: readPem(options.tlsKey, 'key') };
  const config = loadConfig({ flags: configFlags(options) });
  const dataDir = resolveDataDir(config.dataDir);
  const app = await startServer({
    port: options.port,
    host: options.host,
    dataDir,
    config,
    modelPath: options.model,
    apiToken: options.token,
    metricsKey: options.metricsKey,
    alertWebhook: options.alertWebhook,
    trainingData: options.trainingData,
    sessionHours: options.sessionHours,
    tls,
    trustProxy: options.trustProxy,
    oidc:
      options.oidcIssuer === undefined || options.oidcClientId === undefined
        ? undefined
        : { issuer: options.oidcIssuer, clientId: options.oidcClientId, clientSecret: options.oidcClientSecret, redirectUrl: options.oidcRedirectUrl, roleClaim: options.oidcRoleClaim, defaultRole: options.oidcDefaultRole },
    threads: options.threads,
    maxUploadBytes: options.maxUploadMb * 2 ** 20,
    rateLimitPerMinute: options.rateLimit,
    shutdownGraceMs: options.shutdownGrace * 1000,
    backups: options.backupDir === undefined ? undefined : { dir: options.backupDir, keep: options.backupKeep },
    log: { level: options.logLevel, file: options.logFile, pretty: options.logFile === undefined && process.stdout.isTTY === true },
  });
  const address = app.server.address();
  const scheme = tls === undefined ? 'http' : 'https';
  const url = typeof address === 'object' && address !== null ? `${scheme}://${options.host}:${address.port}` : String(address);
  process.stderr.write(`FreeMobilaChat on ${url} (API documentation: ${url}/docs; data in ${dataDir})\n`);
}
