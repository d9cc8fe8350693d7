/**
 * The distributed mode from the command line: `fmc db migrate`, `fmc worker`,
 * and `fmc classify --database-url … --redis-url …`, which submits the file to
 * the cluster and streams the labelled rows back in input order.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { loadClassifier } from '../classify/index.js';
import { LLM_ANSWERED_SQL, openChunkQueue, runResults, startWorker, STORED_ROWS_SQL, submitRun } from '../cluster/index.js';
import { serveWorkerMetrics } from '../cluster/worker-metrics.js';
import { loadConfig } from '../config/index.js';
import type { InputProblem } from '../ingest/index.js';
import type { RowWriter } from '../output/index.js';
import type { Mode, RunStats } from '../pipeline/index.js';
import { connectPostgres, migratePostgres, type PgPool } from '../store/postgres.js';
import { UsageError } from './errors.js';
import type { Progress } from './progress.js';
import { configFlags, SettingsFlags } from './settings.js';

/** The cluster's URLs from flags, environment or config file; a usage error when they are missing. */
function clusterOf(options: z.infer<typeof SettingsFlags>): { databaseUrl: string; redisUrl: string } {
  const { cluster } = loadConfig({ flags: configFlags(options) });
  if (cluster === undefined) throw new UsageError('give the cluster: --database-url postgres://… --redis-url redis://… (or FMC_DATABASE_URL and FMC_REDIS_URL)');
  return cluster;
}

/** Connects and brings the schema up to date (under a lock: replicas and workers starting together migrate once). */
async function openDatabase(databaseUrl: string): Promise<PgPool> {
  const pool = await connectPostgres(databaseUrl);
  await migratePostgres(pool);
  return pool;
}

export async function dbMigrateCommand(rawOptions: unknown): Promise<void> {
  const options = SettingsFlags.parse(rawOptions);
  const { databaseUrl } = loadConfig({ flags: configFlags(options) }).cluster ?? { databaseUrl: options.databaseUrl ?? process.env.FMC_DATABASE_URL };
  if (databaseUrl === undefined) throw new UsageError('give the database: --database-url postgres://… (or FMC_DATABASE_URL)');
  const pool = await connectPostgres(databaseUrl);
  try {
    const applied = await migratePostgres(pool);
    process.stdout.write(applied.length === 0 ? 'the schema is up to date\n' : `applied migration(s) ${applied.join(', ')}\n`);
  } finally {
    await pool.end();
  }
}

const WorkerOptions = SettingsFlags.extend({
  concurrency: z.coerce.number().int().min(1).max(64),
  model: z.string().min(1).optional(),
  lockSeconds: z.coerce.number().positive(),
  metricsPort: z.coerce.number().int().min(0).max(65535).optional(),
  metricsHost: z.string().min(1),
});

export async function workerCommand(rawOptions: unknown): Promise<void> {
  const options = WorkerOptions.parse(rawOptions);
  const settings = loadConfig({ flags: configFlags(options) });
  const cluster = clusterOf(options);
  const pool = await openDatabase(cluster.databaseUrl);
  // The LLM of balanced and precise runs, as configured for this worker (`--llm-url`, FMC_LLM_URL, the config file).
  const { createBackend, createLlmClassifier } = await import('../llm/index.js');
  const backend = createBackend(settings.llm);
  const worker = startWorker({
    pool,
    cluster,
    classifier: loadClassifier(options.model),
    llm: () => createLlmClassifier(backend, settings.llm),
    concurrency: options.concurrency,
    lockMs: options.lockSeconds * 1000,
    onJob: (job, ms) => {
      const what = job.kind === 'chunk' ? { msg: 'chunk stored', chunk: job.chunk, rows: job.rows } : { msg: 'LLM batch stored', batch: job.batch, tweets: job.tweets };
      process.stderr.write(`${JSON.stringify({ level: 'info', ...what, runId: job.runId, ms: Math.round(ms) })}\n`);
    },
  });
  worker.on('error', (error) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg: 'queue error', error: error.message })}\n`));
  await worker.waitUntilReady();
  const queue = options.metricsPort === undefined ? undefined : openChunkQueue(cluster);
  const metrics = queue === undefined || options.metricsPort === undefined ? undefined : await serveWorkerMetrics(worker, queue, options.metricsPort, options.metricsHost);
  const address = metrics?.address();
  const metricsAt = typeof address === 'object' && address !== null ? `; metrics on http://${options.metricsHost}:${address.port}/metrics` : '';
  process.stderr.write(`FreeMobilaChat worker ready (concurrency ${options.concurrency}), taking chunks from ${cluster.redisUrl.replace(/\/\/[^@]*@/, '//***@')}${metricsAt}\n`);
  const stop = async () => {
    // The chunk in hand is finished and stored; the rest stays queued for the other workers.
    await worker.close();
    metrics?.close();
    await queue?.close();
    await pool.end();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
}

export interface ClusterRun {
  inputPath: string;
  mode: Mode;
  llm: { budget: number; minSample: number };
  read: { textColumn?: string; idColumn?: string; encoding?: string };
  writer: RowWriter;
  progress: Progress;
  onProblem: (problem: InputProblem) => void;
}

/** `fmc classify` on the cluster: submit, wait for the workers, stream the rows back. Returns the run and its figures. */
export async function classifyOnCluster(cluster: { databaseUrl: string; redisUrl: string }, run: ClusterRun): Promise<{ runId: number; stats: RunStats }> {
  const pool = await openDatabase(cluster.databaseUrl);
  const queue = openChunkQueue(cluster);
  try {
    let started = false;
    const { runId, rows } = await submitRun(pool, queue, {
      inputPath: run.inputPath,
      read: run.read,
      mode: run.mode,
      llm: run.llm,
      onProblem: run.onProblem,
      onRead: (read, bytes, totalBytes) => {
        if (!started) run.progress.start('submit', totalBytes);
        started = true;
        run.progress.update(read, bytes);
      },
    });
    if ((await queue.getWorkersCount()) === 0) process.stderr.write('no worker is connected yet: start one (or more) with `fmc worker --database-url … --redis-url …`; waiting\n');
    for (;;) {
      const state = (
        await pool.query<{ status: string; error: string | null; stats: RunStats | null; done: number; llm_tweets: number | null; llm_done: number }>(
          `SELECT r.status, r.error, r.stats, ${STORED_ROWS_SQL} AS done, r.llm_tweets, ${LLM_ANSWERED_SQL} AS llm_done FROM runs r WHERE r.id = $1`,
          [runId],
        )
      ).rows[0];
      if (state === undefined) throw new Error(`run ${runId} was deleted while it ran`);
      if (state.llm_tweets !== null && state.llm_tweets > 0) run.progress.phase('llm (workers)', state.llm_done, state.llm_tweets);
      else run.progress.phase('classify (workers)', state.done, Math.max(1, rows));
      if (state.status === 'failed') throw new Error(`run ${runId} failed on the cluster: ${state.error}`);
      if (state.status === 'done' && state.stats !== null) {
        for await (const row of runResults(pool, runId)) {
          const pending = run.writer.write(row);
          if (pending !== undefined) await pending;
        }
        return { runId, stats: state.stats };
      }
      await sleep(200);
    }
  } finally {
    await queue.close();
    await pool.end();
  }
}
