/**
 * The end of a distributed run, once its last chunk is stored: duplicates
 * across chunks take the labels and the id of their first row (as the
 * embedded pipeline gives them). A `balanced` or `precise` run then chooses
 * its LLM sample from every local label, as the embedded pipeline does, and
 * queues it in batches; once they are answered (or not), the run's figures
 * are counted and it is marked done.
 */
import type { Queue } from 'bullmq';
import { LABEL_NAMES, type Labels } from '../labels.js';
import { emptyLlmStats, type LlmStats } from '../llm/phase.js';
import { selectForLlm } from '../llm/sample.js';
import { StatsRecorder, type CacheCounts, type CachedPhase, type Mode, type Phase, type RunStats } from '../pipeline/index.js';
import { inTransaction, type PgClient, type PgPool } from '../store/postgres.js';
import { jobIdOf, type LlmJob, type RunJob } from './queue.js';

/** Tweets per LLM job: several requests (of the workers' batch size), so a job is worth its round trips. */
export const LLM_JOB_TWEETS = 100;

/** What a worker records of one LLM batch; summed into the run's figures. */
export interface LlmBatchStats {
  ms: number;
  cache: CacheCounts;
  llm: LlmStats;
  model: string;
}

/** SQL: the rows of run `r` stored so far (those of its finished chunks). */
export const STORED_ROWS_SQL = '(SELECT COALESCE(SUM(c.rows), 0)::int FROM run_chunks c WHERE c.run_id = r.id AND c.done)';

/** SQL: the tweets of run `r`'s LLM sample answered so far (those of its finished batches). */
export const LLM_ANSWERED_SQL = '(SELECT COALESCE(SUM(cardinality(b.positions)), 0)::int FROM run_llm_batches b WHERE b.run_id = r.id AND b.done)';

// The first row of each dedup key, and every later row of that key made its duplicate.
const RESOLVE_DUPLICATES = `
  WITH firsts AS (
    SELECT DISTINCT ON (r.dedup_key) r.dedup_key, r.position, i.id, r.sentiment, r.is_claim, r.urgence, r.topics, r.incident, r.confidence, r.label_source
    FROM run_results r JOIN run_inputs i USING (run_id, position)
    WHERE r.run_id = $1 AND r.error IS NULL
    ORDER BY r.dedup_key, r.position
  )
  UPDATE run_results r
  SET duplicate_of = f.id, sentiment = f.sentiment, is_claim = f.is_claim, urgence = f.urgence, topics = f.topics,
      incident = f.incident, confidence = f.confidence, label_source = f.label_source
  FROM firsts f
  WHERE r.run_id = $1 AND r.error IS NULL AND r.dedup_key = f.dedup_key AND r.position > f.position`;

/** The run's figures: counts and distributions from its rows, times and cache lookups summed over its chunks. */
async function runStats(client: PgClient, runId: number, startedAt: Date): Promise<RunStats> {
  const stats = new StatsRecorder().finish();
  const totals = (
    await client.query<{ rows: number; errors: number; duplicates: number; mean: number | null }>(
      "SELECT COUNT(*)::int AS rows, COUNT(*) FILTER (WHERE error IS NOT NULL)::int AS errors, COUNT(*) FILTER (WHERE error IS NULL AND duplicate_of <> '')::int AS duplicates, AVG(confidence) AS mean FROM run_results WHERE run_id = $1",
      [runId],
    )
  ).rows[0];
  stats.rows = totals?.rows ?? 0;
  stats.errors = totals?.errors ?? 0;
  stats.duplicates = totals?.duplicates ?? 0;
  stats.unique = stats.rows - stats.errors - stats.duplicates;
  stats.meanConfidence = totals?.mean ?? 0;
  for (const label of LABEL_NAMES) {
    const { rows } = await client.query<{ value: string; n: number }>(`SELECT ${label} AS value, COUNT(*)::int AS n FROM run_results WHERE run_id = $1 GROUP BY ${label}`, [runId]);
    for (const row of rows) stats.distributions[label][row.value] = row.n;
  }
  const { rows: chunks } = await client.query<{ stats: RunStats | null }>('SELECT stats FROM run_chunks WHERE run_id = $1', [runId]);
  for (const { stats: chunk } of chunks) {
    if (chunk === null) continue;
    for (const phase of ['classify', 'llm', 'write'] as Phase[]) stats.phaseMs[phase] += chunk.phaseMs[phase];
    for (const [phase, counts] of Object.entries(chunk.cache ?? {}) as Array<[CachedPhase, CacheCounts]>) {
      const total = ((stats.cache ??= {})[phase] ??= { memory: 0, disk: 0, misses: 0 });
      total.memory += counts.memory;
      total.disk += counts.disk;
      total.misses += counts.misses;
    }
    stats.peakRssBytes = Math.max(stats.peakRssBytes, chunk.peakRssBytes);
  }
  const { rows: batches } = await client.query<{ stats: LlmBatchStats | null; breaker: string | null; sampled: number | null }>(
    'SELECT b.stats, r.llm_breaker AS breaker, r.llm_tweets AS sampled FROM run_llm_batches b JOIN runs r ON r.id = b.run_id WHERE b.run_id = $1 ORDER BY b.batch',
    [runId],
  );
  for (const { stats: batch, breaker, sampled } of batches) {
    if (batch === null) continue;
    stats.phaseMs.llm += batch.ms;
    const cache = ((stats.cache ??= {}).llm ??= { memory: 0, disk: 0, misses: 0 });
    for (const level of ['memory', 'disk', 'misses'] as const) cache[level] += batch.cache[level];
    stats.llm = addLlmStats(stats.llm ?? { ...emptyLlmStats(), sampled: sampled ?? 0, model: batch.model }, batch.llm);
    if (breaker !== null) stats.llm.breakerOpened = breaker;
  }
  stats.totalMs = Date.now() - startedAt.getTime();
  // Reading and storing the input: the time the workers' phases did not take (they overlap, so at least 0).
  stats.phaseMs.read_clean = Math.max(0, stats.totalMs - stats.phaseMs.classify - stats.phaseMs.llm - stats.phaseMs.write);
  return stats;
}

function addLlmStats<T extends LlmStats>(total: T, batch: LlmStats): T {
  const sum = { ...total, fallbacks: { ...total.fallbacks } };
  for (const field of ['requests', 'failedRequests', 'retries', 'tweetsSent', 'tokensIn', 'tokensOut', 'ms', 'unexpectedItems', 'answered'] as const) sum[field] += batch[field];
  for (const [reason, count] of Object.entries(batch.fallbacks)) sum.fallbacks[reason] = (sum.fallbacks[reason] ?? 0) + count;
  return sum;
}

/**
 * Chooses the LLM sample among the run's first rows of each text (every local
 * label known) and records it in batches; returns their jobs.
 */
async function recordLlmSample(client: PgClient, runId: number, mode: 'balanced' | 'precise', budget: number, minSample: number): Promise<LlmJob[]> {
  const { rows: unique } = await client.query<Labels & { position: number }>(
    "SELECT position, sentiment, is_claim, urgence, topics, incident, confidence FROM run_results WHERE run_id = $1 AND error IS NULL AND duplicate_of = '' AND label_source <> 'human' ORDER BY position",
    [runId],
  );
  const chosen = selectForLlm(mode, unique.map((row) => ({ labels: row })), budget, minSample).map((i) => (unique[i] as { position: number }).position);
  const jobs: LlmJob[] = [];
  for (let start = 0; start < chosen.length; start += LLM_JOB_TWEETS) {
    const positions = chosen.slice(start, start + LLM_JOB_TWEETS);
    jobs.push({ kind: 'llm', runId, batch: jobs.length, tweets: positions.length });
    await client.query('INSERT INTO run_llm_batches (run_id, batch, positions) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [runId, jobs.length - 1, positions]);
  }
  await client.query('UPDATE runs SET llm_tweets = $2 WHERE id = $1', [runId, chosen.length]);
  return jobs;
}

/** Ends the run if every chunk is stored (one caller wins: the run's row is locked); true when this call ended it. */
export async function finishIfComplete(pool: PgPool, queue: Queue<RunJob>, runId: number): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const run = (
      await client.query<{ status: string; chunks: number | null; started_at: Date; mode: Mode; llm_budget: number | null; llm_min_sample: number | null; llm_tweets: number | null }>(
        'SELECT status, chunks, started_at, mode, llm_budget, llm_min_sample, llm_tweets FROM runs WHERE id = $1 FOR UPDATE',
        [runId],
      )
    ).rows[0];
    if (run === undefined || run.status !== 'running' || run.chunks === null) return false;
    const done = (await client.query<{ done: number }>('SELECT COUNT(*)::int AS done FROM run_chunks WHERE run_id = $1 AND done', [runId])).rows[0]?.done ?? 0;
    if (done < run.chunks) return false;
    if (run.llm_tweets === null) {
      await client.query(RESOLVE_DUPLICATES, [runId]);
      if (run.mode !== 'fast') {
        const jobs = await recordLlmSample(client, runId, run.mode, run.llm_budget ?? 0.2, run.llm_min_sample ?? 0);
        // Queued before the commit: a worker taking one first waits on this run's row, so it reads the batch committed.
        await queue.addBulk(jobs.map((job) => ({ name: job.kind, data: job, opts: { jobId: jobIdOf(job) } })));
        if (jobs.length > 0) return false;
      }
    } else {
      const pending = (await client.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM run_llm_batches WHERE run_id = $1 AND NOT done', [runId])).rows[0]?.n ?? 0;
      if (pending > 0) return false;
    }
    const stats = await runStats(client, runId, run.started_at);
    await client.query("UPDATE runs SET status = 'done', finished_at = now(), stats = $2 WHERE id = $1", [runId, JSON.stringify(stats)]);
    return true;
  });
}

/** Marks a run failed (a chunk that failed every attempt). */
export async function failRun(pool: PgPool, runId: number, error: string): Promise<void> {
  await pool.query("UPDATE runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1 AND status IN ('queued', 'running')", [runId, error]);
}
