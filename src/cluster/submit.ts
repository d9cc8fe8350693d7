/**
 * Submitting a run to the cluster: the input is read as it streams, its rows
 * stored in PostgreSQL by chunks (COPY), and one job queued per chunk, so
 * workers start on the first chunk while the rest is still being read.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { from as copyFrom } from 'pg-copy-streams';
import type { InputProblem, InputRow, ReadOptions } from '../ingest/index.js';
import { openRunInput } from '../jobs/index.js';
import type { Mode } from '../pipeline/index.js';
import { inTransaction, type PgPool } from '../store/postgres.js';
import { finishIfComplete } from './finish.js';
import { jobIdOf, type ChunkJob, type RunJob } from './queue.js';
import type { Queue } from 'bullmq';

export const DEFAULT_CHUNK_ROWS = 10_000;

/** A run still being stored that has stored nothing for this long lost the process storing it. */
export const ABANDONED_AFTER_SECONDS = 120;

/** Fails the runs whose storing stopped (the replica or CLI storing them died); returns their ids. */
export async function failAbandonedRuns(pool: PgPool, afterSeconds = ABANDONED_AFTER_SECONDS): Promise<number[]> {
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE runs SET status = 'failed', finished_at = now(), error = 'its input stopped being stored (the process storing it stopped): send it again'
     WHERE status = 'queued' AND chunks IS NULL AND COALESCE(stored_at, started_at) < now() - make_interval(secs => $1) RETURNING id`,
    [afterSeconds],
  );
  return rows.map((row) => Number(row.id));
}

export interface SubmitOptions {
  inputPath: string;
  read: Pick<ReadOptions, 'textColumn' | 'idColumn' | 'encoding'>;
  mode: Mode;
  /** `balanced`: the share of unique tweets sent to the LLM, and the least number sent. */
  llm?: { budget: number; minSample: number };
  /** How to name the input (an upload's own file name). */
  inputName?: string;
  owner?: string;
  chunkRows?: number;
  onProblem?: (problem: InputProblem) => void;
  /** The run is recorded (its rows are still being stored). */
  onRecorded?: (runId: number) => void;
  /** Rows and bytes read so far. */
  onRead?: (rows: number, bytes: number, totalBytes: number | undefined) => void;
}

async function storeChunk(pool: PgPool, queue: Queue<RunJob>, runId: number, chunk: number, rows: readonly InputRow[]): Promise<void> {
  const firstPosition = rows[0]?.index ?? 0;
  await inTransaction(pool, async (client) => {
    await client.query('DELETE FROM run_inputs WHERE run_id = $1 AND position >= $2 AND position < $3', [runId, firstPosition, firstPosition + rows.length]);
    // CSV for COPY: every string is quoted (so "" stays an empty string); a missing error is an unquoted empty field, read as NULL.
    const csv = stringify({ quoted_string: true });
    const copy = client.query(copyFrom('COPY run_inputs (run_id, position, line, id, fields, text, error) FROM STDIN WITH (FORMAT csv)'));
    const records = Readable.from(rows.map((row) => [runId, row.index, row.line, row.id, JSON.stringify(row.fields), row.text, row.error ?? null]));
    await pipeline(records, csv, copy);
    await client.query('INSERT INTO run_chunks (run_id, chunk, first_position, rows) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id, chunk) DO NOTHING', [runId, chunk, firstPosition, rows.length]);
    await client.query('UPDATE runs SET stored_at = now() WHERE id = $1', [runId]);
  });
  const job: ChunkJob = { kind: 'chunk', runId, chunk, firstPosition, rows: rows.length };
  await queue.add(job.kind, job, { jobId: jobIdOf(job) });
}

/** Records a run, stores its rows and queues its chunks; returns its id once every chunk is queued. */
export async function submitRun(pool: PgPool, queue: Queue<RunJob>, options: SubmitOptions): Promise<{ runId: number; rows: number }> {
  const { input, problems } = await openRunInput(options);
  const { rows: created } = await pool.query<{ id: string }>(
    "INSERT INTO runs (input_name, mode, status, owner, llm_budget, llm_min_sample) VALUES ($1, $2, 'queued', $3, $4, $5) RETURNING id",
    [input.name, options.mode, options.owner ?? null, options.llm?.budget ?? null, options.llm?.minSample ?? null],
  );
  const runId = Number(created[0]?.id);
  options.onRecorded?.(runId);
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  let chunk: InputRow[] = [];
  let chunks = 0;
  let rows = 0;
  try {
    for await (const row of input.rows) {
      chunk.push(row);
      rows++;
      if (chunk.length === chunkRows) {
        await storeChunk(pool, queue, runId, chunks++, chunk);
        chunk = [];
        options.onRead?.(rows, input.bytesRead(), input.totalBytes);
      }
    }
    if (chunk.length > 0 || chunks === 0) await storeChunk(pool, queue, runId, chunks++, chunk);
    options.onRead?.(rows, input.bytesRead(), input.totalBytes);
  } catch (error) {
    await pool.query("UPDATE runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1", [runId, error instanceof Error ? error.message : String(error)]);
    throw error;
  }
  await pool.query("UPDATE runs SET status = 'running', chunks = $2, rows = $3, input_sha256 = $4, input_bytes = $5, problems = $6 WHERE id = $1", [runId, chunks, rows, input.sha256(), input.bytesRead(), JSON.stringify(problems)]);
  // Workers may have done every chunk while the last ones were being stored.
  await finishIfComplete(pool, queue, runId);
  return { runId, rows };
}
