/**
 * PostgreSQL, for the distributed mode: a pool that waits out a database
 * restart (connection errors are retried with backoff), and the schema,
 * migrated under an advisory lock so that replicas and workers starting
 * together migrate once.
 */
import pg from 'pg';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/** PostgreSQL could not be reached: the message names the URL (without its password). */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

/** The URL as messages show it: the password hidden. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.href;
  } catch {
    return '(an invalid URL)';
  }
}

// Connection refused or reset, the server shutting down or starting, the connection lost.
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

export function isTransient(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  if (code !== undefined && TRANSIENT.has(code)) return true;
  return error instanceof Error && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message);
}

export interface RetryOptions {
  /** Attempts in all (default 8: about 25 s with the backoff). */
  attempts?: number;
  firstDelayMs?: number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** Runs `operation` again after a transient database error, waiting 200 ms, 400 ms… (at most 5 s) in between. */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || !isTransient(error)) throw error;
      const delay = Math.min(5000, (options.firstDelayMs ?? 200) * 2 ** (attempt - 1));
      options.onRetry?.(error, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** A pool on `url`, checked at once: an unreachable server is a clear error naming it, after a few retries. */
export async function connectPostgres(url: string, options: RetryOptions & { max?: number } = {}): Promise<PgPool> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: 5000 });
  // An idle connection dropped by a restarting server must not end the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor one lost while checked out: it also emits `error`, and the queries in flight already reject with it (and are retried).
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    await withRetry(() => pool.query('SELECT 1'), { attempts: 3, ...options });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnavailableError(`cannot reach PostgreSQL at ${displayUrl(url)}: ${error instanceof Error ? error.message || (error as { code?: string }).code : String(error)}`);
  }
  return pool;
}

/** Runs `work` in a transaction on one connection; retried from the start on a transient error. */
export async function inTransaction<T>(pool: PgPool, work: (client: PgClient) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  return withRetry(async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }, options);
}

/** Any fixed number: the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK = 72_616_101;

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE cache (
     key BYTEA PRIMARY KEY,
     classifier TEXT NOT NULL,
     labels TEXT NOT NULL,
     created_at BIGINT NOT NULL
   );
   CREATE TABLE runs (
     id BIGSERIAL PRIMARY KEY,
     input_name TEXT NOT NULL,
     input_sha256 TEXT,
     input_bytes BIGINT,
     mode TEXT NOT NULL,
     status TEXT NOT NULL,
     started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
     finished_at TIMESTAMPTZ,
     rows INTEGER NOT NULL DEFAULT 0,
     chunks INTEGER,
     stats JSONB,
     problems JSONB NOT NULL DEFAULT '[]',
     error TEXT,
     owner TEXT,
     model TEXT
   );
   CREATE TABLE run_chunks (
     run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     chunk INTEGER NOT NULL,
     first_position INTEGER NOT NULL,
     rows INTEGER NOT NULL,
     done BOOLEAN NOT NULL DEFAULT false,
     attempts INTEGER NOT NULL DEFAULT 0,
     stats JSONB,
     PRIMARY KEY (run_id, chunk)
   );
   CREATE TABLE run_inputs (
     run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     position INTEGER NOT NULL,
     line INTEGER NOT NULL,
     id TEXT NOT NULL,
     fields TEXT NOT NULL,
     text TEXT NOT NULL,
     error TEXT,
     PRIMARY KEY (run_id, position)
   );
   CREATE TABLE run_results (
     run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     position INTEGER NOT NULL,
     text_cleaned TEXT NOT NULL,
     dedup_key TEXT NOT NULL,
     sentiment TEXT NOT NULL,
     is_claim TEXT NOT NULL,
     urgence TEXT NOT NULL,
     topics TEXT NOT NULL,
     incident TEXT NOT NULL,
     confidence DOUBLE PRECISION NOT NULL,
     label_source TEXT NOT NULL,
     duplicate_of TEXT NOT NULL,
     error TEXT,
     PRIMARY KEY (run_id, position)
   );
   CREATE INDEX run_results_dedup ON run_results (run_id, dedup_key, position);`,
  // The server's tables, as in the embedded database: accounts, keys, sessions, the audit log; and what the table view searches and charts.
  `CREATE TABLE users (
     id BIGSERIAL PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     role TEXT NOT NULL,
     password_hash TEXT,
     source TEXT NOT NULL DEFAULT 'local',
     created_at TEXT NOT NULL
   );
   CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     name TEXT,
     secret_hash BYTEA NOT NULL,
     created_at TEXT NOT NULL,
     last_used_at TEXT,
     revoked_at TEXT
   );
   CREATE TABLE sessions (
     token_hash BYTEA PRIMARY KEY,
     user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     csrf_token TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL
   );
   CREATE TABLE audit (
     id BIGSERIAL PRIMARY KEY,
     at TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT,
     ip TEXT,
     detail TEXT
   );
   CREATE INDEX audit_at ON audit (at);
   ALTER TABLE run_results ADD COLUMN search TEXT NOT NULL DEFAULT '';
   ALTER TABLE run_results ADD COLUMN created_at TEXT;`,
  // When the replica storing an upload last stored a chunk: a run whose storing stopped long ago is failed, not left queued.
  `ALTER TABLE runs ADD COLUMN stored_at TIMESTAMPTZ;`,
  // The LLM phase of balanced and precise runs: its settings, the sample once chosen, its batches (jobs like the chunks).
  `ALTER TABLE runs ADD COLUMN llm_budget DOUBLE PRECISION;
   ALTER TABLE runs ADD COLUMN llm_min_sample INTEGER;
   ALTER TABLE runs ADD COLUMN llm_tweets INTEGER;
   ALTER TABLE runs ADD COLUMN llm_breaker TEXT;
   CREATE TABLE run_llm_batches (
     run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     batch INTEGER NOT NULL,
     positions INTEGER[] NOT NULL,
     done BOOLEAN NOT NULL DEFAULT false,
     stats JSONB,
     PRIMARY KEY (run_id, batch)
   );`,
  // Single-use tickets shared by the replicas (a ticket issued by one answers on any).
  `CREATE TABLE tickets (
     ticket_hash BYTEA PRIMARY KEY,
     principal TEXT NOT NULL,
     path TEXT NOT NULL,
     expires_at BIGINT NOT NULL
   );`,
  // Labels corrected by people, as in the embedded database.
  `CREATE TABLE corrections (
     id BIGSERIAL PRIMARY KEY,
     run_id BIGINT REFERENCES runs(id) ON DELETE SET NULL,
     position INTEGER NOT NULL,
     tweet_id TEXT NOT NULL,
     text TEXT NOT NULL,
     before TEXT NOT NULL,
     after TEXT NOT NULL,
     author TEXT NOT NULL,
     at TEXT NOT NULL
   );
   CREATE INDEX corrections_at ON corrections (at);
   CREATE INDEX corrections_text ON corrections (text);`,
];

/** Brings the schema up to date; returns the versions applied (none when it was). */
export async function migratePostgres(pool: PgPool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS fmc_schema (version INTEGER NOT NULL)');
    const current = (await client.query<{ version: number }>('SELECT COALESCE(MAX(version), 0) AS version FROM fmc_schema')).rows[0]?.version ?? 0;
    const applied: number[] = [];
    for (let next = current; next < MIGRATIONS.length; next++) {
      await client.query('BEGIN');
      await client.query(MIGRATIONS[next] as string);
      await client.query('INSERT INTO fmc_schema (version) VALUES ($1)', [next + 1]);
      await client.query('COMMIT');
      applied.push(next + 1);
    }
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
