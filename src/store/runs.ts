/**
 * The run store: one record per classification run (input, mode, times,
 * figures, problems) and, when asked, its labelled rows, so a later session
 * of the CLI or the web app can show past runs.
 */
import type { OutputRecord } from '../output/index.js';
import type { RunStats } from '../pipeline/index.js';
import type { Db } from './database.js';

export type RunStatus = 'running' | 'done' | 'failed';

export interface RunRecord {
  id: number;
  inputName: string;
  inputSha256: string | undefined;
  inputBytes: number | undefined;
  mode: string;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | undefined;
  rows: number;
  storedRows: number;
  stats: RunStats | undefined;
  /** Input warnings (bad rows, encoding), the first `MAX_PROBLEMS`. */
  problems: string[];
  error: string | undefined;
}

interface RunRow {
  id: number;
  input_name: string;
  input_sha256: string | null;
  input_bytes: number | null;
  mode: string;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  rows: number;
  stored_rows: number;
  stats: string | null;
  problems: string;
  error: string | null;
}

export const MAX_PROBLEMS = 100;

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    inputName: row.input_name,
    inputSha256: row.input_sha256 ?? undefined,
    inputBytes: row.input_bytes ?? undefined,
    mode: row.mode,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at ?? undefined,
    rows: row.rows,
    storedRows: row.stored_rows,
    stats: row.stats === null ? undefined : (JSON.parse(row.stats) as RunStats),
    problems: JSON.parse(row.problems) as string[],
    error: row.error ?? undefined,
  };
}

export interface FinishedRun {
  inputSha256: string | undefined;
  inputBytes: number | undefined;
  stats: RunStats;
  problems: readonly string[];
}

export class RunStore {
  constructor(private readonly db: Db) {}

  start(inputName: string, mode: string): number {
    const result = this.db
      .prepare("INSERT INTO runs (input_name, mode, status, started_at) VALUES (?, ?, 'running', ?)")
      .run(inputName, mode, new Date().toISOString());
    return Number(result.lastInsertRowid);
  }

  /** Appends labelled rows (positions continue from the rows already stored). */
  storeRows(id: number, firstPosition: number, records: readonly OutputRecord[]): void {
    const insert = this.db.prepare<[number, number, string]>('INSERT INTO run_rows (run_id, position, record) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      records.forEach((record, i) => insert.run(id, firstPosition + i, JSON.stringify(record)));
      this.db.prepare('UPDATE runs SET stored_rows = stored_rows + ? WHERE id = ?').run(records.length, id);
    })();
  }

  finish(id: number, run: FinishedRun): void {
    this.db
      .prepare("UPDATE runs SET status = 'done', finished_at = ?, input_sha256 = ?, input_bytes = ?, rows = ?, stats = ?, problems = ? WHERE id = ?")
      .run(new Date().toISOString(), run.inputSha256 ?? null, run.inputBytes ?? null, run.stats.rows, JSON.stringify(run.stats), JSON.stringify(run.problems.slice(0, MAX_PROBLEMS)), id);
  }

  fail(id: number, error: string): void {
    this.db.prepare("UPDATE runs SET status = 'failed', finished_at = ?, error = ? WHERE id = ?").run(new Date().toISOString(), error, id);
  }

  /** Newest first. */
  list(limit = 20): RunRecord[] {
    return this.db.prepare<[number], RunRow>('SELECT * FROM runs ORDER BY id DESC LIMIT ?').all(limit).map(toRecord);
  }

  get(id: number): RunRecord | undefined {
    const row = this.db.prepare<[number], RunRow>('SELECT * FROM runs WHERE id = ?').get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  rows(id: number, offset = 0, limit = 100): OutputRecord[] {
    return this.db
      .prepare<[number, number, number], { record: string }>('SELECT record FROM run_rows WHERE run_id = ? ORDER BY position LIMIT ? OFFSET ?')
      .all(id, limit, offset)
      .map((row) => JSON.parse(row.record) as OutputRecord);
  }
}
