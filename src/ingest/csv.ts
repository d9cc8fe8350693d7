/**
 * CSV records to rows with csv-parse. Ragged rows are kept and reported; a
 * record csv-parse cannot read becomes one error row in its place. An unclosed
 * quote swallows the rest of the file, so reading resumes on the line after it
 * (the file is read again from there): one bad row never hides the others.
 */
import { pipeline, Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { resolveColumns, toInputRow, type ResolvedColumns, type RowContext } from './columns.js';
import type { ColumnChoice, FieldValue, InputRow } from './types.js';

const DELIMITERS = [',', ';', '\t', '|'] as const;

/** The delimiter that splits the header line most often, quotes aside. */
export function sniffDelimiter(sample: string): string {
  const firstLine = (sample.split(/\r?\n/, 1)[0] ?? '').replace(/"[^"]*"/g, '');
  let best: string = ',';
  let bestCount = 0;
  for (const delimiter of DELIMITERS) {
    const count = firstLine.split(delimiter).length - 1;
    if (count > bestCount) [best, bestCount] = [delimiter, count];
  }
  return best;
}

interface ParsedRecord {
  record: string[];
  info: { lines: number; records: number };
}

export interface CsvSource {
  /** Opens the decoded text from its start; `canReopen` is false for stdin, which can't be read twice. */
  open: () => Promise<Readable>;
  canReopen: boolean;
  delimiter: string;
}

/** The text after its first `count` lines (csv-parse's `from_line` still parses what it skips). */
async function* afterLines(text: AsyncIterable<string | Buffer>, count: number): AsyncGenerator<string> {
  let toSkip = count;
  for await (const chunk of text) {
    let part = String(chunk);
    while (toSkip > 0) {
      const newline = part.indexOf('\n');
      if (newline < 0) break;
      part = part.slice(newline + 1);
      toSkip--;
    }
    if (toSkip === 0 && part !== '') yield part;
  }
}

export async function* readCsv(source: CsvSource, choice: ColumnChoice, context: RowContext): AsyncGenerator<InputRow> {
  let header: string[] | undefined;
  let columns: ResolvedColumns | undefined;
  let index = 0;
  let linesBefore = 0;
  for (;;) {
    const text = await source.open();
    // Unreadable records, with the number of records parsed before each.
    const skipped: CsvError[] = [];
    const records = pipeline(
      linesBefore === 0 ? text : Readable.from(afterLines(text, linesBefore)),
      parse({
        delimiter: source.delimiter,
        bom: true,
        info: true,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        skip_records_with_error: true,
        on_skip: (error) => {
          if (error !== undefined) skipped.push(error);
        },
      }),
      () => undefined, // read errors surface through the iteration below
    ) as AsyncIterable<ParsedRecord>;
    let lastLine = linesBefore;
    let resumeAt: number | undefined;

    function* errorRowsBefore(recordNumber: number): Generator<InputRow> {
      while (skipped.length > 0 && Number(skipped[0]?.records ?? 0) < recordNumber) {
        const error = skipped.shift() as CsvError;
        const line = lastLine + 1;
        const swallowedTheRest = error.code === 'CSV_QUOTE_NOT_CLOSED';
        const message = swallowedTheRest ? 'malformed CSV (a quote is never closed)' : `malformed CSV (${error.message.replace(/:.*$/s, '')})`;
        if (swallowedTheRest && source.canReopen) resumeAt = line + 1;
        const consequence = !swallowedTheRest ? '' : source.canReopen ? '; reading resumes on the next line' : '; the rest of the input cannot be read';
        context.warn(line, `${message}${consequence}`);
        lastLine = linesBefore + Number(error.lines);
        yield { index: index++, line, id: String(index), text: '', fields: {}, error: `line ${line}: ${message}` };
      }
    }

    for await (const { record, info } of records) {
      yield* errorRowsBefore(info.records);
      const line = lastLine + 1;
      lastLine = linesBefore + info.lines;
      if (header === undefined || columns === undefined) {
        header = record.map((name) => name.trim());
        columns = resolveColumns(context.file, header, choice);
        continue;
      }
      if (record.length !== header.length) context.warn(line, `expected ${header.length} fields, found ${record.length}`);
      const fields: Record<string, FieldValue> = {};
      header.forEach((name, i) => (fields[name] = record[i] ?? ''));
      for (let i = header.length; i < record.length; i++) fields[`_extra_${i - header.length + 1}`] = record[i] ?? '';
      yield toInputRow(fields, columns, index++, line, context);
    }
    yield* errorRowsBefore(Infinity);
    if (resumeAt === undefined || header === undefined) return;
    linesBefore = resumeAt - 1;
  }
}
