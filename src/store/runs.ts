/**
 * The run store: one record per classification run (input, mode, times,
 * figures, problems) and, when asked, its labelled rows, so a later session
 * of the CLI or the web app can show past runs.
 */
import { foldText } from '../clean/index.js';
import { LABEL_NAMES, LABEL_VALUES, type LabelName, type Labels } from '../labels.js';
import type { OutputRecord } from '../output/index.js';
import type { RunStats } from '../pipeline/index.js';
import type { Db } from './database.js';
import { COUNTED_COLUMNS, reviewProgress, reviewScoreSql, scopeCounts, type ReviewQueue, type ReviewScope } from './review.js';

export type RunStatus = 'queued' | 'running' | 'done' | 'failed';

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
  /** Who started it on the server (none from the CLI). */
  owner: string | undefined;
}

/** What a run left unfinished by a crash needs to start again. */
export interface ResumableRun {
  id: number;
  inputName: string;
  inputPath: string;
  mode: string;
  textColumn: string | undefined;
  owner: string | undefined;
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
  owner: string | null;
  input_path: string | null;
  text_column: string | null;
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
    owner: row.owner ?? undefined,
  };
}

export interface FinishedRun {
  inputSha256: string | undefined;
  inputBytes: number | undefined;
  stats: RunStats;
  problems: readonly string[];
}

/** Filters, search, sort and page of `RunStore.tweets`. */
export interface TweetQuery {
  filters: Partial<Record<LabelName | 'label_source', string>>;
  duplicates: 'include' | 'exclude' | 'only';
  /** Words to find in the text (accent- and case-insensitive). */
  search: string | undefined;
  sort: 'position' | 'confidence' | 'urgence' | 'created_at';
  order: 'asc' | 'desc';
  page: number;
  pageSize: number;
}

export interface StoredTweet {
  position: number;
  record: OutputRecord;
}

export interface RunDashboard {
  rows: number;
  claims: number;
  negative: number;
  urgent: number;
  duplicates: number;
  errors: number;
  meanConfidence: number;
  counts: Record<LabelName | 'label_source', Record<string, number>>;
  /** topicBySentiment[topic][sentiment] = rows. */
  topicBySentiment: Record<string, Record<string, number>>;
  /** Rows per day (YYYY-MM-DD) and per hour of day (0–23, UTC), for rows with a readable date. */
  perDay: Record<string, number>;
  perHour: number[];
}

/** The columns a row's date is read from, first found first. */
export const DATE_FIELDS = ['date', 'created_at', 'timestamp', 'datetime', 'time', 'posted_at'];

/** The row's date as ISO text when one of its date fields reads as a date (for the charts by day and hour). */
export function dateOf(record: OutputRecord): string | null {
  for (const field of DATE_FIELDS) {
    const value = record[field];
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    const time = typeof value === 'number' ? value * (value < 1e12 ? 1000 : 1) : Date.parse(value);
    if (Number.isFinite(time)) return new Date(time).toISOString();
  }
  return null;
}

const URGENCE_RANK_SQL = `CASE urgence ${LABEL_VALUES.urgence.map((value, rank) => `WHEN '${value}' THEN ${rank}`).join(' ')} END`;
const SORT_SQL: Record<TweetQuery['sort'], string> = { position: 'position', confidence: 'confidence', urgence: URGENCE_RANK_SQL, created_at: 'created_at' };

/** A row's labels as a person corrected them: the row before and after. */
export interface Correction {
  before: OutputRecord;
  after: OutputRecord;
}

/** The row with a person's labels: `label_source` human, confidence 1. */
export function correctedRecord(record: OutputRecord, labels: Omit<Labels, 'confidence'>): OutputRecord {
  return { ...record, ...labels, confidence: 1, label_source: 'human' };
}

/** The `corrections` row of a correction, in column order: run, position, tweet id, cleaned text, labels before and after, author, time. */
export const CORRECTION_COLUMNS = 'run_id, position, tweet_id, text, before, after, author, at';
export function correctionValues(runId: number, position: number, before: OutputRecord, labels: Omit<Labels, 'confidence'>, author: string): Array<string | number> {
  return [runId, position, String(before.id ?? ''), String(before.text_cleaned ?? ''), JSON.stringify(labelsOf(before)), JSON.stringify(labels), author, new Date().toISOString()];
}

/** The five labels of a stored row. */
export function labelsOf(record: OutputRecord): Record<LabelName, string> {
  return Object.fromEntries(LABEL_NAMES.map((label) => [label, String(record[label])])) as Record<LabelName, string>;
}

export class RunStore {
  constructor(private readonly db: Db) {}

  /** Records a run; a server's run also keeps who started it and where its input waits until it ends. */
  start(inputName: string, mode: string, status: 'queued' | 'running' = 'running', origin: { owner?: string; inputPath?: string; textColumn?: string } = {}): number {
    const result = this.db
      .prepare('INSERT INTO runs (input_name, mode, status, started_at, owner, input_path, text_column) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(inputName, mode, status, new Date().toISOString(), origin.owner ?? null, origin.inputPath ?? null, origin.textColumn ?? null);
    return Number(result.lastInsertRowid);
  }

  /** Server runs (those with a kept input) left queued or running by a crash or a stop, oldest first. */
  unfinished(): ResumableRun[] {
    return this.db
      .prepare<[], RunRow>("SELECT * FROM runs WHERE status IN ('queued', 'running') AND input_path IS NOT NULL ORDER BY id")
      .all()
      .map((row) => ({ id: row.id, inputName: row.input_name, inputPath: row.input_path as string, mode: row.mode, textColumn: row.text_column ?? undefined, owner: row.owner ?? undefined }));
  }

  /** Puts a run back in the queue with none of its rows: it is classified again from the start, so each row is stored once. */
  requeue(id: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM run_rows WHERE run_id = ?').run(id);
      this.db.prepare("UPDATE runs SET status = 'queued', stored_rows = 0, rows = 0 WHERE id = ?").run(id);
    })();
  }

  /** A queued run starts: its clock starts now. */
  markRunning(id: number): void {
    this.db.prepare("UPDATE runs SET status = 'running', started_at = ? WHERE id = ?").run(new Date().toISOString(), id);
  }

  /** Appends labelled rows (positions continue from the rows already stored). */
  storeRows(id: number, firstPosition: number, records: readonly OutputRecord[]): void {
    const insert = this.db.prepare(
      `INSERT INTO run_rows (run_id, position, record, sentiment, is_claim, urgence, topics, incident, confidence, label_source, duplicate, failed, search, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      records.forEach((record, i) => {
        const text = typeof record.text_cleaned === 'string' ? record.text_cleaned : '';
        insert.run(
          id,
          firstPosition + i,
          JSON.stringify(record),
          ...LABEL_NAMES.map((label) => String(record[label])),
          Number(record.confidence),
          String(record.label_source),
          record.duplicate_of === '' ? 0 : 1,
          record.error === undefined ? 0 : 1,
          foldText(text),
          dateOf(record),
        );
      });
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

  correct(id: number, position: number, labels: Omit<Labels, 'confidence'>, author: string): Correction | undefined {
    return this.db.transaction(() => {
      const before = this.row(id, position);
      if (before === undefined) return undefined;
      const after = correctedRecord(before, labels);
      this.db
        .prepare('UPDATE run_rows SET record = ?, sentiment = ?, is_claim = ?, urgence = ?, topics = ?, incident = ?, confidence = 1, label_source = ? WHERE run_id = ? AND position = ?')
        .run(JSON.stringify(after), ...LABEL_NAMES.map((label) => labels[label]), 'human', id, position);
      this.db.prepare(`INSERT INTO corrections (${CORRECTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(...correctionValues(id, position, before, labels, author));
      return { before, after };
    })();
  }

  review(scope: ReviewScope, limit: number): ReviewQueue {
    const inScope = `${scope.runId === undefined ? "run_id IN (SELECT id FROM runs WHERE status = 'done')" : 'run_id = ?'} AND failed = 0 AND duplicate = 0`;
    const parameters = scope.runId === undefined ? [] : [scope.runId];
    const columns = COUNTED_COLUMNS.join(', ');
    const counts = scopeCounts(this.db.prepare(`SELECT ${columns}, COUNT(*) AS n FROM run_rows WHERE ${inScope} GROUP BY ${columns}`).all(...parameters) as Parameters<typeof scopeCounts>[0]);
    const items = this.db
      .prepare(`SELECT run_id, position, record, ${reviewScoreSql(counts)} AS score FROM run_rows WHERE ${inScope} AND label_source <> 'human' ORDER BY score DESC, run_id, position LIMIT ?`)
      .all(...parameters, limit) as Array<{ run_id: number; position: number; score: number; record: string }>;
    return {
      ...reviewProgress(counts),
      items: items.map((item) => ({ runId: item.run_id, position: item.position, score: item.score, record: JSON.parse(item.record) as OutputRecord })),
    };
  }

  row(id: number, position: number): OutputRecord | undefined {
    const row = this.db.prepare<[number, number], { record: string }>('SELECT record FROM run_rows WHERE run_id = ? AND position = ?').get(id, position);
    return row === undefined ? undefined : (JSON.parse(row.record) as OutputRecord);
  }

  /** Every stored row in input order, read lazily (for exports). */
  *allRows(id: number): Generator<OutputRecord> {
    const statement = this.db.prepare<[number], { record: string }>('SELECT record FROM run_rows WHERE run_id = ? ORDER BY position');
    for (const row of statement.iterate(id)) yield JSON.parse(row.record) as OutputRecord;
  }

  tweets(id: number, query: TweetQuery): { total: number; items: StoredTweet[] } {
    const where = ['run_id = ?'];
    const parameters: Array<string | number> = [id];
    for (const [column, value] of Object.entries(query.filters)) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      parameters.push(value);
    }
    if (query.duplicates !== 'include') where.push(`duplicate = ${query.duplicates === 'only' ? 1 : 0}`);
    for (const word of foldText(query.search ?? '').split(/\s+/).filter(Boolean)) {
      where.push("search LIKE ? ESCAPE '\\'");
      parameters.push(`%${word.replace(/[\\%_]/g, (character) => `\\${character}`)}%`);
    }
    const clause = where.join(' AND ');
    const total = (this.db.prepare(`SELECT COUNT(*) AS total FROM run_rows WHERE ${clause}`).get(...parameters) as { total: number }).total;
    const rows = this.db
      .prepare(`SELECT position, record FROM run_rows WHERE ${clause} ORDER BY ${SORT_SQL[query.sort]} ${query.order === 'desc' ? 'DESC' : 'ASC'}, position LIMIT ? OFFSET ?`)
      .all(...parameters, query.pageSize, (query.page - 1) * query.pageSize) as Array<{ position: number; record: string }>;
    return { total, items: rows.map((row) => ({ position: row.position, record: JSON.parse(row.record) as OutputRecord })) };
  }

  dashboard(id: number): RunDashboard {
    const count = (sql: string): number => (this.db.prepare(`SELECT COUNT(*) AS n FROM run_rows WHERE run_id = ? ${sql}`).get(id) as { n: number }).n;
    const groups = (column: string): Record<string, number> =>
      Object.fromEntries(
        (this.db.prepare(`SELECT ${column} AS value, COUNT(*) AS n FROM run_rows WHERE run_id = ? GROUP BY ${column}`).all(id) as Array<{ value: string; n: number }>).map((row) => [row.value, row.n]),
      );
    const counts = Object.fromEntries([...LABEL_NAMES, 'label_source'].map((column) => [column, groups(column)])) as RunDashboard['counts'];
    const topicBySentiment: RunDashboard['topicBySentiment'] = {};
    for (const row of this.db.prepare('SELECT topics, sentiment, COUNT(*) AS n FROM run_rows WHERE run_id = ? GROUP BY topics, sentiment').all(id) as Array<{ topics: string; sentiment: string; n: number }>) {
      (topicBySentiment[row.topics] ??= {})[row.sentiment] = row.n;
    }
    const perDay = groups('substr(created_at, 1, 10)');
    delete perDay.null;
    const perHour = new Array<number>(24).fill(0);
    for (const [hour, n] of Object.entries(groups('CAST(substr(created_at, 12, 2) AS INTEGER)'))) if (hour !== 'null') perHour[Number(hour)] = n;
    const mean = this.db.prepare('SELECT AVG(confidence) AS mean FROM run_rows WHERE run_id = ?').get(id) as { mean: number | null };
    return {
      rows: count(''),
      claims: count("AND is_claim = 'oui'"),
      negative: count("AND sentiment = 'negatif'"),
      urgent: count("AND urgence IN ('haute', 'critique')"),
      duplicates: count('AND duplicate = 1'),
      errors: count('AND failed = 1'),
      meanConfidence: mean.mean ?? 0,
      counts,
      topicBySentiment,
      perDay,
      perHour,
    };
  }

  /** Removes a run and its rows; false when there was no such run. */
  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0;
  }
}
