/** The server under test: built on a fresh data directory, with helpers to upload and wait for a run. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config/index.js';
import { buildServer, type ServerOptions } from '../src/server/index.js';
import { openDatabase } from '../src/store/index.js';
import { tempDir } from './helpers.js';

/** Tests poll runs many times a second, far above the default 100 requests a minute: unless a test sets it, the limit is out of the way. */
export async function server(options: Partial<ServerOptions> = {}, env: NodeJS.ProcessEnv = {}): Promise<FastifyInstance> {
  const dataDir = options.dataDir ?? tempDir();
  const db = options.backends === undefined ? (options.db ?? openDatabase(dataDir, () => undefined)) : undefined;
  return buildServer({ db, dataDir, config: loadConfig({ env }), rateLimitPerMinute: 100_000, ...options });
}

/** A multipart/form-data body with text fields and one file. */
export function multipart(file: { name: string; content: Buffer | string } | undefined, fields: Record<string, string> = {}) {
  const boundary = '----fmc-test-boundary';
  const parts: Buffer[] = Object.entries(fields).map(([name, value]) => Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  if (file !== undefined) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\ncontent-type: application/octet-stream\r\n\r\n`), Buffer.from(file.content), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export async function upload(app: FastifyInstance, name: string, content: Buffer | string, fields: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const body = multipart({ name, content }, fields);
  return app.inject({ method: 'POST', url: '/api/runs', payload: body.payload, headers: { ...body.headers, ...headers } });
}

export async function finished(app: FastifyInstance, id: number, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  for (let waited = 0; waited < 30_000; waited += 50) {
    const run = (await app.inject({ url: `/api/runs/${id}`, headers })).json();
    // The store says done as soon as the run's thread commits; the queue has ended it (metrics, events)
    // once it no longer reports live progress.
    if ((run.status === 'done' || run.status === 'failed') && run.progress === undefined) return run;
    await sleep(50);
  }
  throw new Error(`run ${id} did not finish: ${(await app.inject({ url: `/api/runs/${id}`, headers })).body.slice(0, 600)}`);
}
