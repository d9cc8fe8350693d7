/** `fmc serve`: the HTTP API and the web app, on the embedded store and cache. */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { backupDataDir, backupFileName, newestBackupTime, openDatabase, pruneBackups, type Db } from '../store/index.js';
import { buildServer, type ServerOptions } from './app.js';
import { isLoopback } from './auth.js';

export { buildServer, DEFAULT_MAX_UPLOAD_BYTES, type ServerOptions } from './app.js';

export interface StartOptions extends Omit<ServerOptions, 'db'> {
  port: number;
  host: string;
  /** SIGTERM/SIGINT: how long running runs get to end before the server stops them for the next start to resume. */
  shutdownGraceMs: number;
  /** A backup a day into this directory, the newest `keep` kept. */
  backups?: { dir: string; keep: number };
}

/** A start refused for what was asked (listening beyond this machine with nobody to sign in…): exit code 2. */
export class StartRefusedError extends Error {
  override name = 'StartRefusedError';
}

const DAY_MS = 86_400_000;

/** One backup now if the newest is a day old (or none), then one a day. */
function scheduleBackups(app: FastifyInstance, db: Db, dataDir: string, backups: { dir: string; keep: number }): void {
  const backUp = async () => {
    try {
      const result = await backupDataDir(db, dataDir, join(backups.dir, backupFileName(new Date())));
      const pruned = await pruneBackups(backups.dir, backups.keep);
      app.log.info({ file: result.file, bytes: result.bytes, pruned }, 'backup written');
    } catch (error) {
      app.log.error({ err: error }, 'backup failed');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const next = (delay: number) => {
    timer = setTimeout(() => void backUp().then(() => next(DAY_MS)), delay);
    timer.unref();
  };
  void newestBackupTime(backups.dir).then((newest) => next(newest === undefined ? 0 : Math.max(0, newest + DAY_MS - Date.now())));
  app.addHook('onClose', async () => clearTimeout(timer));
}

/**
 * Listens until SIGINT or SIGTERM. Then it takes no new upload, gives running
 * runs the grace period to end, stops the rest where they are (the next start
 * resumes them), and closes the pool and the database.
 */
export async function startServer(options: StartOptions): Promise<FastifyInstance> {
  const cluster = options.config.cluster;
  // The embedded store, or the cluster's PostgreSQL and Redis (`--database-url`, `--redis-url`).
  const db = cluster === undefined ? openDatabase(options.dataDir, (message) => process.stderr.write(`warning: ${message}\n`)) : undefined;
  const app = await buildServer({
    ...options,
    ...(cluster === undefined ? { db } : { backends: async (log) => (await import('../cluster/index.js')).clusterBackends(cluster, { modelPath: options.modelPath, llm: options.config.llm }, log), rateLimitRedisUrl: cluster.redisUrl }),
  });
  if (db !== undefined) app.addHook('onClose', async () => db.close());
  if (!isLoopback(options.host) && options.apiToken === undefined && !(await app.backends.accounts.hasUsers())) {
    await app.close();
    throw new StartRefusedError(
      `refusing to listen on ${options.host} with no user and no token: anyone who can reach it could read and run everything. Add a user (fmc users add NAME --role admin --password-stdin) or listen on 127.0.0.1`,
    );
  }
  if (options.backups !== undefined) {
    if (db === undefined) throw new StartRefusedError('--backup-dir backs up the embedded store; on the cluster, back up PostgreSQL with pg_dump (see the README)');
    scheduleBackups(app, db, options.dataDir, options.backups);
  }
  await app.listen({ port: options.port, host: options.host });
  const stop = async (signal: string) => {
    app.log.info({ signal, graceSeconds: options.shutdownGraceMs / 1000 }, 'stopping: no new uploads, running runs get the grace period');
    await app.backends.queue.shutdown(options.shutdownGraceMs);
    await app.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(signal));
  return app;
}
