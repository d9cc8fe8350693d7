/**
 * `fmc worker`: takes chunks from the queue, classifies them with the same
 * pipeline as the embedded mode (and the shared cache), and stores each
 * chunk's rows in one transaction that first removes anything an earlier
 * attempt stored, so a chunk taken again after a crash is stored once.
 */
import { Readable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { Worker, type Job } from 'bullmq';
import { stringify } from 'csv-stringify';
import { from as copyFrom } from 'pg-copy-streams';
import { PgLabelCache } from '../cache/postgres.js';
import type { TweetClassifier } from '../classify/index.js';
import { createPipeline, type ClassifiedRow } from '../pipeline/index.js';
import { foldText } from '../clean/index.js';
import { dateOf } from '../store/index.js';
import { inTransaction, withRetry, type PgPool } from '../store/postgres.js';
import { failRun, finishIfComplete } from './finish.js';
import { CHUNK_QUEUE, queuePrefix, redisConnection, type ChunkJob } from './queue.js';
import { inputRow } from './results.js';

export interface WorkerOptions {
  pool: PgPool;
  cluster: { databaseUrl: string; redisUrl: string };
  classifier: TweetClassifier;
  /** Chunks processed at once by this process (classification is CPU-bound: run one process per core). */
  concurrency: number;
  /** A chunk whose worker stops renewing its lock this long is given to another worker. */
  lockMs?: number;
  onChunk?: (job: ChunkJob, ms: number) => void;
}

interface InputRecord {
  position: number;
  line: number;
  id: string;
  fields: string;
  text: string;
  error: string | null;
}

async function classifyChunk(options: WorkerOptions, cache: PgLabelCache, job: ChunkJob): Promise<void> {
  const { pool } = options;
  const { rows: records } = await withRetry(() =>
    pool.query<InputRecord>('SELECT position, line, id, fields, text, error FROM run_inputs WHERE run_id = $1 AND position >= $2 AND position < $3 ORDER BY position', [job.runId, job.firstPosition, job.firstPosition + job.rows]),
  );
  const rows = records.map((record) => inputRow(record, record.error));
  const pipeline = createPipeline({ mode: 'fast', classifier: options.classifier, cache });
  const classified: ClassifiedRow[] = [];
  try {
    for await (const row of pipeline.run(rows)) classified.push(row);
  } catch (error) {
    cache.discardPending();
    throw error;
  }
  const stats = pipeline.finish();
  await inTransaction(pool, async (client) => {
    // A run cancelled or deleted meanwhile: its chunk is dropped.
    const run = (await client.query<{ status: string }>('SELECT status FROM runs WHERE id = $1 FOR SHARE', [job.runId])).rows[0];
    if (run === undefined || (run.status !== 'queued' && run.status !== 'running')) {
      cache.discardPending();
      return;
    }
    await client.query('DELETE FROM run_results WHERE run_id = $1 AND position >= $2 AND position < $3', [job.runId, job.firstPosition, job.firstPosition + job.rows]);
    const copy = client.query(
      copyFrom('COPY run_results (run_id, position, text_cleaned, dedup_key, sentiment, is_claim, urgence, topics, incident, confidence, label_source, duplicate_of, error, search, created_at) FROM STDIN WITH (FORMAT csv)'),
    );
    const lines = classified.map(({ row, textCleaned, key, labels, labelSource, duplicateOf, error }) => [
      job.runId,
      row.index,
      textCleaned,
      key,
      labels.sentiment,
      labels.is_claim,
      labels.urgence,
      labels.topics,
      labels.incident,
      labels.confidence,
      labelSource,
      duplicateOf,
      error ?? null,
      foldText(textCleaned),
      dateOf(row.fields),
    ]);
    await streamPipeline(Readable.from(lines), stringify({ quoted_string: true }), copy);
    await cache.writePending(client);
    await client.query('UPDATE run_chunks SET done = true, attempts = attempts + 1, stats = $3 WHERE run_id = $1 AND chunk = $2', [job.runId, job.chunk, JSON.stringify(stats)]);
  });
  await finishIfComplete(pool, job.runId);
}

/** Starts taking chunks; `close()` the worker to stop (the chunk in hand is finished first). */
export function startWorker(options: WorkerOptions): Worker<ChunkJob> {
  const cache = new PgLabelCache(options.pool);
  const worker = new Worker<ChunkJob>(
    CHUNK_QUEUE,
    async (job: Job<ChunkJob>) => {
      const started = performance.now();
      await classifyChunk(options, cache, job.data);
      options.onChunk?.(job.data, performance.now() - started);
    },
    {
      connection: redisConnection(options.cluster.redisUrl),
      prefix: queuePrefix(options.cluster.databaseUrl),
      concurrency: options.concurrency,
      lockDuration: options.lockMs ?? 30_000,
      stalledInterval: options.lockMs ?? 30_000,
      // A chunk whose worker died is taken again (and again, up to 3 times) rather than failed.
      maxStalledCount: 3,
    },
  );
  worker.on('failed', (job, error) => {
    if (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1)) void failRun(options.pool, job.data.runId, `chunk ${job.data.chunk} failed ${job.attemptsMade} times: ${error.message}`);
  });
  return worker;
}
