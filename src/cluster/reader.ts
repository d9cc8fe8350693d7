/** The runs of the cluster's database as the API reads them: list, one run, its tweets (filtered, searched, sorted), its dashboard, its export. */
import { foldText } from '../clean/index.js';
import { LABEL_NAMES, LABEL_VALUES, type Labels } from '../labels.js';
import { toOutputRecord, type OutputRecord } from '../output/index.js';
import type { RunStats } from '../pipeline/index.js';
import { CORRECTION_COLUMNS, correctionValues, COUNTED_COLUMNS, correctedRecord, reviewProgress, reviewScoreSql, scopeCounts, type Correction, type ReviewQueue, type ReviewScope, type RunDashboard, type RunRecord, type RunStatus, type StoredTweet, type TweetQuery } from '../store/index.js';
import { inTransaction, type PgPool } from '../store/postgres.js';
import type { RunReader } from '../server/backends.js';
import { STORED_ROWS_SQL } from './finish.js';
import { RESULT_COLUMNS, resultRow, runResults, type ResultRecord } from './results.js';

interface RunRow {
  id: string;
  input_name: string;
  input_sha256: string | null;
  input_bytes: string | null;
  mode: string;
  status: RunStatus;
  started_at: Date;
  finished_at: Date | null;
  rows: number;
  stored_rows: number;
  stats: RunStats | null;
  problems: string[];
  error: string | null;
  owner: string | null;
}

const RUN_COLUMNS = `r.id, r.input_name, r.input_sha256, r.input_bytes, r.mode, r.status, r.started_at, r.finished_at, r.rows, r.stats, r.problems, r.error, r.owner,
  ${STORED_ROWS_SQL} AS stored_rows`;

function toRecord(row: RunRow): RunRecord {
  return {
    id: Number(row.id),
    inputName: row.input_name,
    inputSha256: row.input_sha256 ?? undefined,
    inputBytes: row.input_bytes === null ? undefined : Number(row.input_bytes),
    mode: row.mode,
    status: row.status,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString(),
    rows: row.rows,
    storedRows: row.stored_rows,
    stats: row.stats ?? undefined,
    problems: row.problems,
    error: row.error ?? undefined,
    owner: row.owner ?? undefined,
  };
}

const URGENCE_RANK_SQL = `CASE r.urgence ${LABEL_VALUES.urgence.map((value, rank) => `WHEN '${value}' THEN ${rank}`).join(' ')} END`;
const SORT_SQL: Record<TweetQuery['sort'], string> = { position: 'r.position', confidence: 'r.confidence', urgence: URGENCE_RANK_SQL, created_at: 'r.created_at' };
const FILTER_COLUMNS = new Set<string>([...LABEL_NAMES, 'label_source']);

export class PgRunReader implements RunReader {
  constructor(private readonly pool: PgPool) {}

  async list(limit: number): Promise<RunRecord[]> {
    return (await this.pool.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs r ORDER BY r.id DESC LIMIT $1`, [limit])).rows.map(toRecord);
  }

  async get(id: number): Promise<RunRecord | undefined> {
    const row = (await this.pool.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id = $1`, [id])).rows[0];
    return row === undefined ? undefined : toRecord(row);
  }

  async tweets(id: number, query: TweetQuery): Promise<{ total: number; items: StoredTweet[] }> {
    const parameters: unknown[] = [id];
    const where = ['r.run_id = $1'];
    for (const [column, value] of Object.entries(query.filters)) {
      if (value === undefined || !FILTER_COLUMNS.has(column)) continue;
      parameters.push(value);
      where.push(`r.${column} = $${parameters.length}`);
    }
    if (query.duplicates !== 'include') where.push(`r.error IS NULL AND r.duplicate_of ${query.duplicates === 'only' ? '<>' : '='} ''`);
    for (const word of foldText(query.search ?? '').split(/\s+/).filter(Boolean)) {
      parameters.push(`%${word.replace(/[\\%_]/g, (character) => `\\${character}`)}%`);
      where.push(`r.search LIKE $${parameters.length}`);
    }
    const clause = where.join(' AND ');
    const total = (await this.pool.query<{ total: number }>(`SELECT COUNT(*)::int AS total FROM run_results r WHERE ${clause}`, parameters)).rows[0]?.total ?? 0;
    const page = await this.pool.query<ResultRecord>(
      `SELECT ${RESULT_COLUMNS} FROM run_results r JOIN run_inputs i USING (run_id, position) WHERE ${clause}
       ORDER BY ${SORT_SQL[query.sort]} ${query.order === 'desc' ? 'DESC' : 'ASC'}, r.position LIMIT ${Number(query.pageSize)} OFFSET ${Number((query.page - 1) * query.pageSize)}`,
      parameters,
    );
    return { total, items: page.rows.map((record) => ({ position: record.position, record: toOutputRecord(resultRow(record)) })) };
  }

  async dashboard(id: number): Promise<RunDashboard> {
    const count = async (condition: string): Promise<number> => (await this.pool.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM run_results WHERE run_id = $1 ${condition}`, [id])).rows[0]?.n ?? 0;
    const groups = async (expression: string): Promise<Record<string, number>> =>
      Object.fromEntries((await this.pool.query<{ value: string | number | null; n: number }>(`SELECT ${expression} AS value, COUNT(*)::int AS n FROM run_results WHERE run_id = $1 GROUP BY 1`, [id])).rows.map((row) => [String(row.value), row.n]));
    const counts = Object.fromEntries(await Promise.all([...LABEL_NAMES, 'label_source'].map(async (column) => [column, await groups(column)]))) as RunDashboard['counts'];
    const topicBySentiment: RunDashboard['topicBySentiment'] = {};
    for (const row of (await this.pool.query<{ topics: string; sentiment: string; n: number }>('SELECT topics, sentiment, COUNT(*)::int AS n FROM run_results WHERE run_id = $1 GROUP BY topics, sentiment', [id])).rows) {
      (topicBySentiment[row.topics] ??= {})[row.sentiment] = row.n;
    }
    const perDay = await groups('substr(created_at, 1, 10)');
    delete perDay.null;
    const perHour = new Array<number>(24).fill(0);
    for (const [hour, n] of Object.entries(await groups('CAST(substr(created_at, 12, 2) AS INTEGER)'))) if (hour !== 'null') perHour[Number(hour)] = n;
    const mean = (await this.pool.query<{ mean: number | null }>('SELECT AVG(confidence) AS mean FROM run_results WHERE run_id = $1', [id])).rows[0]?.mean ?? 0;
    return {
      rows: await count(''),
      claims: await count("AND is_claim = 'oui'"),
      negative: await count("AND sentiment = 'negatif'"),
      urgent: await count("AND urgence IN ('haute', 'critique')"),
      duplicates: await count("AND error IS NULL AND duplicate_of <> ''"),
      errors: await count('AND error IS NOT NULL'),
      meanConfidence: mean,
      counts,
      topicBySentiment,
      perDay,
      perHour,
    };
  }

  async correct(id: number, position: number, labels: Omit<Labels, 'confidence'>, author: string): Promise<Correction | undefined> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<ResultRecord>(`SELECT ${RESULT_COLUMNS} FROM run_inputs i JOIN run_results r USING (run_id, position) WHERE i.run_id = $1 AND i.position = $2 FOR UPDATE OF r`, [id, position]);
      if (rows[0] === undefined) return undefined;
      const before = toOutputRecord(resultRow(rows[0]));
      await client.query("UPDATE run_results SET sentiment = $3, is_claim = $4, urgence = $5, topics = $6, incident = $7, confidence = 1, label_source = 'human' WHERE run_id = $1 AND position = $2", [
        id,
        position,
        ...LABEL_NAMES.map((label) => labels[label]),
      ]);
      await client.query(`INSERT INTO corrections (${CORRECTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, correctionValues(id, position, before, labels, author));
      return { before, after: correctedRecord(before, labels) };
    });
  }

  async review(scope: ReviewScope, limit: number): Promise<ReviewQueue> {
    const inScope = (alias: string) => `${alias}run_id ${scope.runId === undefined ? "IN (SELECT id FROM runs WHERE status = 'done')" : '= $1'} AND ${alias}error IS NULL AND ${alias}duplicate_of = ''`;
    const parameters = scope.runId === undefined ? [] : [scope.runId];
    const columns = COUNTED_COLUMNS.join(', ');
    const counts = scopeCounts((await this.pool.query<Parameters<typeof scopeCounts>[0][number]>(`SELECT ${columns}, COUNT(*)::int AS n FROM run_results WHERE ${inScope('')} GROUP BY ${columns}`, parameters)).rows);
    const { rows } = await this.pool.query<ResultRecord & { run_id: number; score: number }>(
      `SELECT r.run_id, (${reviewScoreSql(counts, 'r')})::float AS score, ${RESULT_COLUMNS}
       FROM run_results r JOIN run_inputs i USING (run_id, position)
       WHERE ${inScope('r.')} AND r.label_source <> 'human' ORDER BY score DESC, r.run_id, r.position LIMIT ${Number(limit)}`,
      parameters,
    );
    return {
      ...reviewProgress(counts),
      items: rows.map((row) => ({ runId: Number(row.run_id), position: row.position, score: row.score, record: toOutputRecord(resultRow(row)) })),
    };
  }

  async row(id: number, position: number): Promise<OutputRecord | undefined> {
    const { rows } = await this.pool.query<ResultRecord>(`SELECT ${RESULT_COLUMNS} FROM run_inputs i JOIN run_results r USING (run_id, position) WHERE i.run_id = $1 AND i.position = $2`, [id, position]);
    return rows[0] === undefined ? undefined : toOutputRecord(resultRow(rows[0]));
  }

  async *allRows(id: number): AsyncGenerator<OutputRecord> {
    for await (const row of runResults(this.pool, id)) yield toOutputRecord(row);
  }

  async delete(id: number): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM runs WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }
}
