/**
 * JSON Lines and JSON arrays to rows. Ids keep their exact digits: a tweet id
 * beyond 2^53 never passes through a JavaScript number.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseLossless, isSafeNumber } from 'lossless-json';
import parser from 'stream-json/parser.js';
import streamArray from 'stream-json/streamers/stream-array.js';
import { resolveColumns, toInputRow, type ResolvedColumns, type RowContext } from './columns.js';
import type { ColumnChoice, FieldValue, InputRow } from './types.js';

const LONG_DIGIT_RUN = /\d{16,}/;

/** JSON.parse, unless the line holds a number too long to be exact as a double. */
function parseRecord(line: string): unknown {
  if (!LONG_DIGIT_RUN.test(line)) return JSON.parse(line);
  return parseLossless(line, null, (digits) => (isSafeNumber(digits) ? Number(digits) : digits));
}

function isRecord(value: unknown): value is Record<string, FieldValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rows from records; the first record's keys decide the text and id columns. */
function makeRowBuilder(choice: ColumnChoice, context: RowContext) {
  let columns: ResolvedColumns | undefined;
  let index = 0;
  return (value: unknown, line: number, parseError?: string): InputRow => {
    const problem = parseError ?? (isRecord(value) ? undefined : 'not a JSON object');
    if (problem !== undefined || !isRecord(value)) {
      context.warn(line, problem ?? 'not a JSON object');
      return { index: index++, line, id: String(index), text: '', fields: {}, error: `line ${line}: ${problem}` };
    }
    columns ??= resolveColumns(context.file, Object.keys(value), choice);
    return toInputRow(value, columns, index++, line, context);
  };
}

export async function* readJsonl(text: Readable, choice: ColumnChoice, context: RowContext): AsyncGenerator<InputRow> {
  const buildRow = makeRowBuilder(choice, context);
  let line = 0;
  for await (const content of createInterface({ input: text, crlfDelay: Infinity })) {
    line++;
    if (content.trim() === '') continue;
    try {
      yield buildRow(parseRecord(content), line);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      yield buildRow(undefined, line, `invalid JSON: ${error.message}`);
    }
  }
}

/** A top-level JSON array, streamed item by item; `line` is the item's 1-based position. */
export async function* readJsonArray(text: Readable, choice: ColumnChoice, context: RowContext): AsyncGenerator<InputRow> {
  const buildRow = makeRowBuilder(choice, context);
  // The parser and the streamer are piped by hand so that a syntax error ends the
  // items instead of destroying them: every item before the break still comes out.
  const tokens = text.pipe(parser.asStream());
  const items = streamArray.asStream({ numberAsString: true });
  let syntaxError: Error | undefined;
  tokens.on('error', (error: Error) => {
    syntaxError = error;
    items.end();
  });
  tokens.pipe(items);
  let position = 0;
  for await (const item of items as AsyncIterable<{ key: number; value: unknown }>) {
    position = item.key + 1;
    yield buildRow(item.value, position);
  }
  if (syntaxError !== undefined) yield buildRow(undefined, position + 1, `invalid JSON after item ${position}: ${syntaxError.message}`);
}
