/**
 * Exports of a stored run as CSV, JSON Lines or XLSX, streamed row by row.
 * CSV cells that a spreadsheet would read as a formula are neutralised.
 */
import { PassThrough, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import type { FieldValue } from '../ingest/index.js';
import type { OutputRecord } from '../output/index.js';

export const EXPORT_FORMATS = ['csv', 'jsonl', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** `=`, `+`, `-`, `@`, tab or CR first make Excel evaluate a cell: a leading `'` keeps it text (OWASP's advice). */
function neutraliseCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function cellText(value: FieldValue | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The first record's columns: the input's own, then the labels (as the CLI's CSV). */
const columnsOf = (first: OutputRecord): string[] => Object.keys(first);

export function exportStream(format: ExportFormat, records: Iterable<OutputRecord> | AsyncIterable<OutputRecord>): Readable {
  if (format === 'jsonl') {
    return Readable.from((async function* () {
      for await (const record of records) yield `${JSON.stringify(record)}\n`;
    })());
  }
  if (format === 'csv') {
    let columns: string[] | undefined;
    const csv = stringify({ bom: true });
    Readable.from((async function* () {
      for await (const record of records) {
        if (columns === undefined) {
          columns = columnsOf(record);
          yield columns.map(neutraliseCell);
        }
        yield columns.map((column) => neutraliseCell(cellText(record[column])));
      }
    })()).pipe(csv);
    return csv;
  }
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false });
  const sheet = workbook.addWorksheet('tweets');
  void (async () => {
    let columns: string[] | undefined;
    for await (const record of records) {
      if (columns === undefined) {
        columns = columnsOf(record);
        sheet.addRow(columns).commit();
      }
      // Numbers stay numbers (confidence); everything else is a text cell, never a formula.
      sheet.addRow(columns.map((column) => (typeof record[column] === 'number' ? record[column] : cellText(record[column])))).commit();
    }
    sheet.commit();
    await workbook.commit();
  })().catch((error: unknown) => out.destroy(error as Error));
  return out;
}
