/**
 * `fmc worker`: takes chunks from the queue, classifies them with the same
 * pipeline as the embedded mode (and the shared cache), and stores each
 * chunk's rows in one transaction that first removes anything an earlier
 * attempt stored, so a chunk taken again after a crash is stored once.
 * It also takes the LLM batches of `balanced` and `precise` runs: asks the
 * LLM (through the shared cache) and gives its labels to the batch's tweets
 * and their duplicates, in one transaction with the batch marked answered.
 */
import { Readable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { Worker, type Job } from 'bullmq';
import { stringify } from 'csv-stringify';
import { from as copyFrom } from 'pg-copy-streams';
import { PgLabelCache } from '../cache/postgres.js';
import type { TweetClassifier } from '../classify/index.js';
import { emptyLlmStats, type LlmClassifier } from '../llm/phase.js';
import { createPipeline, llmLabels, type CacheCounts, type ClassifiedRow } from '../pipeline/index.js';
import type { Labels } from '../labels.js';
import { foldText } from '../clean/index.js';
import { dateOf } from '../store/index.js';
import { inTransaction, withRetry, type PgPool } from '../store/postgres.js';
import { failRun, finishIfComplete, type LlmBatchStats } from './finish.js';
import { CHUNK_QUEUE, openChunkQueue, queuePrefix, redisConnection, type ChunkJob, type LlmJob, type RunJob } from './queue.js';
import type { Queue } from 'bullmq';
import { inputRow } from './results.js';

export interface WorkerOptions {
  pool: PgPool;
  cluster: { databaseUrl: string; redisUrl: string };
  classifier: TweetClassifier;
  /** The LLM client for one batch (each gets its own figures); without it, LLM batches keep their local labels. */
  llm?: () => LlmClassifier;
  /** Chunks processed at once by this process (classification is CPU-bound: run one process per core). */
  concurrency: number;
  /** A chunk whose worker stops renewing its lock this long is given to another worker. */
  lockMs?: number;
  onJob?: (job: RunJob, ms: number) => void;
}

interface InputRecord {
  position: number;
  line: number;
  id: string;
  fields: string;
  text: string;
  error: string | null;
}

async function classifyChunk(options: WorkerOptions, queue: Queue<RunJob>, cache: PgLabelCache, job: ChunkJob): Promise<void> {
  const { pool } = options;
  const { rows: records } = await withRetry(() =>
    pool.query<InputRecord>('SELECT position, line, id, fields, text, error FROM run_inputs WHERE run_id = $1 AND position >= $2 AND position < $3 ORDER BY position', [job.runId, job.firstPosition, job.firstPosition + job.rows]),
  );
  const rows = records.map((record) => inputRow(record, record.error));
  // The whole chunk at once: one query to the shared cache rather than one per 256 rows.
  const pipeline = createPipeline({ mode: 'fast', classifier: options.classifier, cache, batchRows: rows.length });
  const classified: ClassifiedRow[] = [];
  try {
    for await (const row of pipeline.run(rows)) classified.push(row);
  } catch (error) {
    cache.discardPending();
    throw error;
  }
  const stats = pipeline.finish();
  await inTransaction(pool, async (client) => {
    const writeStarted = performance.now();
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
    // The write phase: storing the chunk's rows and cache entries (what `fmc bench --distributed` reports as PostgreSQL's write rate).
    const written = { ...stats, phaseMs: { ...stats.phaseMs, write: performance.now() - writeStarted } };
    await client.query('UPDATE run_chunks SET done = true, attempts = attempts + 1, stats = $3 WHERE run_id = $1 AND chunk = $2', [job.runId, job.chunk, JSON.stringify(written)]);
  });
  await finishIfComplete(pool, queue, job.runId);
}

const NO_LLM = 'this worker has no LLM';

/** Asks the LLM about one batch of a run's sample and stores its answers. */
async function askLlmBatch(options: WorkerOptions, queue: Queue<RunJob>, cache: PgLabelCache, job: LlmJob): Promise<void> {
  const { pool } = options;
  // The run's row is locked while its sample is recorded: this read waits for that commit.
  const state = await inTransaction(pool, async (client) =>
    (
      await client.query<{ status: string; breaker: string | null; positions: number[] | null; done: boolean | null }>(
        'SELECT r.status, r.llm_breaker AS breaker, b.positions, b.done FROM runs r LEFT JOIN run_llm_batches b ON b.run_id = r.id AND b.batch = $2 WHERE r.id = $1 FOR SHARE OF r',
        [job.runId, job.batch],
      )
    ).rows[0],
  );
  if (state === undefined || state.status !== 'running') return;
  if (state.positions === null) throw new Error(`LLM batch ${job.batch} of run ${job.runId} is not recorded`);
  if (state.done !== true) {
    const { rows } = await withRetry(() =>
      pool.query<{ text_cleaned: string; dedup_key: string }>('SELECT text_cleaned, dedup_key FROM run_results WHERE run_id = $1 AND position = ANY($2) ORDER BY position', [job.runId, state.positions]),
    );
    const started = performance.now();
    const cacheCounts: CacheCounts = { memory: 0, disk: 0, misses: 0 };
    const classifier = options.llm?.();
    let labels: Array<Labels | undefined> = rows.map(() => undefined);
    const fallbacks: Record<string, number> = {};
    // Another batch of the run found the LLM failing: this one keeps its local labels without asking.
    const skipped = classifier === undefined ? NO_LLM : state.breaker === null ? undefined : 'circuit breaker open';
    if (skipped !== undefined) fallbacks[skipped] = rows.length;
    else if (classifier !== undefined) labels = await llmLabels(classifier, rows.map((row) => row.text_cleaned), cache, { onLookup: (level) => cacheCounts[level]++ });
    const answered = rows.flatMap((row, i) => (labels[i] === undefined ? [] : [{ key: row.dedup_key, labels: labels[i] as Labels }]));
    const llm = classifier?.stats ?? emptyLlmStats();
    const stats: LlmBatchStats = { ms: performance.now() - started, cache: cacheCounts, llm: { ...llm, fallbacks: { ...llm.fallbacks, ...fallbacks } }, model: classifier?.description ?? NO_LLM };
    await inTransaction(pool, async (client) => {
      const run = (await client.query<{ status: string }>('SELECT status FROM runs WHERE id = $1 FOR SHARE', [job.runId])).rows[0];
      if (run === undefined || run.status !== 'running') {
        cache.discardPending();
        return;
      }
      // The first row of each text and its duplicates (they share its labels, as in the embedded mode).
      await client.query(
        `UPDATE run_results r SET sentiment = a.sentiment, is_claim = a.is_claim, urgence = a.urgence, topics = a.topics, incident = a.incident, confidence = a.confidence, label_source = 'llm'
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[]) AS a(key, sentiment, is_claim, urgence, topics, incident, confidence)
         WHERE r.run_id = $1 AND r.error IS NULL AND r.dedup_key = a.key`,
        [
          job.runId,
          answered.map((answer) => answer.key),
          ...(['sentiment', 'is_claim', 'urgence', 'topics', 'incident', 'confidence'] as const).map((label) => answered.map((answer) => answer.labels[label])),
        ],
      );
      await cache.writePending(client);
      await client.query('UPDATE run_llm_batches SET done = true, stats = $3 WHERE run_id = $1 AND batch = $2', [job.runId, job.batch, JSON.stringify(stats)]);
      if (llm.breakerOpened !== undefined) await client.query('UPDATE runs SET llm_breaker = COALESCE(llm_breaker, $2) WHERE id = $1', [job.runId, llm.breakerOpened]);
    });
  }
  await finishIfComplete(pool, queue, job.runId);
}

/** Starts taking chunks; `close()` the worker to stop (the chunk in hand is finished first). */
export function startWorker(options: WorkerOptions): Worker<RunJob> {
  const cache = new PgLabelCache(options.pool);
  // Where the LLM batches of a run whose last chunk this worker stores are queued.
  const queue = openChunkQueue(options.cluster);
  const worker = new Worker<RunJob>(
    CHUNK_QUEUE,
    async (job: Job<RunJob>) => {
      const started = performance.now();
      if (job.data.kind === 'chunk') await classifyChunk(options, queue, cache, job.data);
      else await askLlmBatch(options, queue, cache, job.data);
      options.onJob?.(job.data, performance.now() - started);
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
    if (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1)) void failRun(options.pool, job.data.runId, `${job.data.kind === 'chunk' ? `chunk ${job.data.chunk}` : `LLM batch ${job.data.batch}`} failed ${job.attemptsMade} times: ${error.message}`);
  });
  worker.on('closed', () => void queue.close());
  return worker;
}
