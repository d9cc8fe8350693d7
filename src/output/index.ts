/**
 * Output: classified rows as CSV, JSON Lines or a JSON array, each row its
 * original columns followed by the labels, written with backpressure.
 */
import { once } from 'node:events';
import { extname } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { FieldValue } from '../ingest/types.js';
import type { ClassifiedRow } from '../pipeline/index.js';

export const OUTPUT_FORMATS = ['csv', 'jsonl', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Columns the pipeline adds after the input's own. */
export const ADDED_COLUMNS = ['text_cleaned', 'sentiment', 'is_claim', 'urgence', 'topics', 'incident', 'confidence', 'label_source', 'duplicate_of', 'error'] as const;

export type OutputRecord = Record<string, FieldValue>;

export function toOutputRecord({ row, textCleaned, labels, labelSource, duplicateOf, error }: ClassifiedRow): OutputRecord {
  const record: OutputRecord = {
    ...row.fields,
    text_cleaned: textCleaned,
    sentiment: labels.sentiment,
    is_claim: labels.is_claim,
    urgence: labels.urgence,
    topics: labels.topics,
    incident: labels.incident,
    confidence: labels.confidence,
    label_source: labelSource,
    duplicate_of: duplicateOf,
  };
  if (error !== undefined) record.error = error;
  return record;
}

/** A row that could not be read: it carries an error, and no labels worth explaining, correcting or counting. */
export function isErrorRecord(record: OutputRecord): boolean {
  return record.error !== undefined && record.error !== null && record.error !== '';
}

export function formatFromPath(path: string): OutputFormat | undefined {
  const extension = extname(path).toLowerCase().slice(1);
  if (extension === 'ndjson') return 'jsonl';
  return (OUTPUT_FORMATS as readonly string[]).includes(extension) ? (extension as OutputFormat) : undefined;
}

export interface RowWriter {
  /** Returns a promise only when the destination asks to wait (backpressure). */
  write(row: ClassifiedRow): Promise<void> | void;
  /** Flushes and closes the destination. */
  end(): Promise<void>;
}

function writeChunk(destination: Writable, chunk: string): Promise<void> | void {
  if (!destination.write(chunk)) return once(destination, 'drain').then(() => undefined);
}

async function endStream(destination: Writable): Promise<void> {
  if (destination === process.stdout) return;
  destination.end();
  await finished(destination);
}

function cellOf(value: FieldValue | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function addedCells({ textCleaned, labels, labelSource, duplicateOf, error }: ClassifiedRow): string[] {
  const { sentiment, is_claim, urgence, topics, incident, confidence } = labels;
  return [textCleaned, sentiment, is_claim, urgence, topics, incident, String(confidence), labelSource, duplicateOf, error ?? ''];
}

/**
 * The CSV header comes from the first record (the input's columns, then ours);
 * a later record's extra keys (possible with JSON input) are not written.
 */
function createCsvWriter(destination: Writable): RowWriter {
  let header: string[] | undefined;
  const csv = stringify({ eof: true });
  csv.pipe(destination, { end: destination !== process.stdout });
  return {
    write(row) {
      if (header === undefined) {
        const added = new Set<string>(ADDED_COLUMNS);
        header = [...Object.keys(row.row.fields).filter((column) => !added.has(column)), ...ADDED_COLUMNS];
        csv.write(header);
      }
      // Built column by column: spreading every row into a record costs more than the CSV itself.
      const { fields } = row.row;
      const cells = header.map((column) => cellOf(fields[column]));
      cells.splice(cells.length - ADDED_COLUMNS.length, ADDED_COLUMNS.length, ...addedCells(row));
      if (!csv.write(cells)) return once(csv, 'drain').then(() => undefined);
    },
    async end() {
      csv.end();
      await finished(destination === process.stdout ? csv : destination);
    },
  };
}

export function createRowWriter(format: OutputFormat, destination: Writable): RowWriter {
  if (format === 'csv') return createCsvWriter(destination);
  if (format === 'jsonl') {
    return {
      write: (row) => writeChunk(destination, `${JSON.stringify(toOutputRecord(row))}\n`),
      end: () => endStream(destination),
    };
  }
  let first = true;
  return {
    write(row) {
      const separator = first ? '[\n' : ',\n';
      first = false;
      return writeChunk(destination, `${separator}${JSON.stringify(toOutputRecord(row))}`);
    },
    async end() {
      await writeChunk(destination, first ? '[]\n' : '\n]\n');
      await endStream(destination);
    },
  };
}
