/** `fmc serve`: the HTTP API and the web app, on the embedded store and cache. */
import type { FastifyInstance } from 'fastify';
import { openDatabase } from '../store/index.js';
import { buildServer, type ServerOptions } from './app.js';

export { buildServer, DEFAULT_MAX_UPLOAD_BYTES, type ServerOptions } from './app.js';

export interface StartOptions extends Omit<ServerOptions, 'db'> {
  port: number;
  host: string;
}

/** Listens until SIGINT or SIGTERM, then lets running requests finish and closes the pool and the database. */
export async function startServer(options: StartOptions): Promise<FastifyInstance> {
  const db = openDatabase(options.dataDir, (message) => process.stderr.write(`warning: ${message}\n`));
  const app = await buildServer({ ...options, db });
  app.addHook('onClose', async () => db.close());
  await app.listen({ port: options.port, host: options.host });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
  return app;
}
