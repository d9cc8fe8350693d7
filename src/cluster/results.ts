/** A distributed run's rows, read back in input order as the pipeline's `ClassifiedRow`s. */
import QueryStream from 'pg-query-stream';
import type { FieldValue, InputRow } from '../ingest/index.js';
import type { Labels } from '../labels.js';
import type { ClassifiedRow, LabelSource } from '../pipeline/index.js';
import type { PgPool } from '../store/postgres.js';

/** The columns `resultRow` reads: a row's input joined with its result (`i` and `r`). */
export const RESULT_COLUMNS = `i.position, i.line, i.id, i.fields, i.text, i.error AS input_error, r.text_cleaned, r.dedup_key, r.sentiment, r.is_claim, r.urgence,
  r.topics, r.incident, r.confidence, r.label_source, r.duplicate_of, r.error`;

export interface ResultRecord {
  position: number;
  line: number;
  id: string;
  fields: string;
  text: string;
  input_error: string | null;
  text_cleaned: string;
  dedup_key: string;
  sentiment: string;
  is_claim: string;
  urgence: string;
  topics: string;
  incident: string;
  confidence: number;
  label_source: LabelSource;
  duplicate_of: string;
  error: string | null;
}

/** A row of `run_inputs` as the reader gave it. */
export function inputRow(record: { position: number; line: number; id: string; fields: string; text: string }, error: string | null): InputRow {
  return {
    index: record.position,
    line: record.line,
    id: record.id,
    text: record.text,
    fields: JSON.parse(record.fields) as Record<string, FieldValue>,
    ...(error === null ? {} : { error }),
  };
}

export function resultRow(record: ResultRecord): ClassifiedRow {
  const { sentiment, is_claim, urgence, topics, incident, confidence } = record;
  return {
    row: inputRow(record, record.input_error),
    textCleaned: record.text_cleaned,
    labels: { sentiment, is_claim, urgence, topics, incident, confidence } as Labels,
    duplicateOf: record.duplicate_of,
    key: record.dedup_key,
    labelSource: record.label_source,
    ...(record.error === null ? {} : { error: record.error }),
  };
}

export async function* runResults(pool: PgPool, runId: number): AsyncGenerator<ClassifiedRow> {
  const client = await pool.connect();
  try {
    const stream = client.query(
      new QueryStream(`SELECT ${RESULT_COLUMNS} FROM run_inputs i JOIN run_results r USING (run_id, position) WHERE i.run_id = $1 ORDER BY i.position`, [runId], { batchSize: 2000 }),
    );
    for await (const record of stream as AsyncIterable<ResultRecord>) yield resultRow(record);
  } finally {
    client.release();
  }
}
