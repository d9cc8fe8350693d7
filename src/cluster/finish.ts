/**
 * The end of a distributed run, once its last chunk is stored: duplicates
 * across chunks take the labels and the id of their first row (as the
 * embedded pipeline gives them), the run's figures are counted, and it is marked done.
 */
import { LABEL_NAMES } from '../labels.js';
import { StatsRecorder, type CacheCounts, type CachedPhase, type Phase, type RunStats } from '../pipeline/index.js';
import { inTransaction, type PgClient, type PgPool } from '../store/postgres.js';

/** SQL: the rows of run `r` stored so far (those of its finished chunks). */
export const STORED_ROWS_SQL = '(SELECT COALESCE(SUM(c.rows), 0)::int FROM run_chunks c WHERE c.run_id = r.id AND c.done)';

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
  stats.totalMs = Date.now() - startedAt.getTime();
  // Reading and storing the input: the time the workers' phases did not take (they overlap, so at least 0).
  stats.phaseMs.read_clean = Math.max(0, stats.totalMs - stats.phaseMs.classify - stats.phaseMs.llm - stats.phaseMs.write);
  return stats;
}

/** Ends the run if every chunk is stored (one caller wins: the run's row is locked); true when this call ended it. */
export async function finishIfComplete(pool: PgPool, runId: number): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const run = (await client.query<{ status: string; chunks: number | null; started_at: Date }>('SELECT status, chunks, started_at FROM runs WHERE id = $1 FOR UPDATE', [runId])).rows[0];
    if (run === undefined || run.status !== 'running' || run.chunks === null) return false;
    const done = (await client.query<{ done: number }>('SELECT COUNT(*)::int AS done FROM run_chunks WHERE run_id = $1 AND done', [runId])).rows[0]?.done ?? 0;
    if (done < run.chunks) return false;
    await client.query(RESOLVE_DUPLICATES, [runId]);
    const stats = await runStats(client, runId, run.started_at);
    await client.query("UPDATE runs SET status = 'done', finished_at = now(), stats = $2 WHERE id = $1", [runId, JSON.stringify(stats)]);
    return true;
  });
}

/** Marks a run failed (a chunk that failed every attempt). */
export async function failRun(pool: PgPool, runId: number, error: string): Promise<void> {
  await pool.query("UPDATE runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1 AND status IN ('queued', 'running')", [runId, error]);
}
