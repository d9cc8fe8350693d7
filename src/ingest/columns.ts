/** Finding the text and id columns by name, and turning a record into an `InputRow`. */
import { InputError, type ColumnChoice, type FieldValue, type InputRow } from './types.js';
import { REPLACEMENT_CHARACTER } from './decode.js';

const TEXT_COLUMNS = ['text', 'full_text', 'tweet', 'texte', 'content', 'contenu', 'message', 'body', 'tweet_text'];
const ID_COLUMNS = ['id', 'tweet_id', 'id_str', 'tweetid'];

function findColumn(columns: readonly string[], wanted: readonly string[]): string | undefined {
  const byLowerName = new Map(columns.map((column) => [column.trim().toLowerCase(), column]));
  for (const name of wanted) {
    const column = byLowerName.get(name);
    if (column !== undefined) return column;
  }
  return undefined;
}

export interface ResolvedColumns {
  text: string;
  id: string | undefined;
}

export function resolveColumns(file: string, columns: readonly string[], choice: ColumnChoice): ResolvedColumns {
  const listed = columns.length > 0 ? columns.map((c) => `"${c}"`).join(', ') : '(none)';
  const text = choice.textColumn ?? findColumn(columns, TEXT_COLUMNS);
  if (text === undefined || !columns.includes(text)) {
    const what = choice.textColumn === undefined ? 'no text column found' : `no column "${choice.textColumn}"`;
    throw new InputError(`${file}: ${what}; columns are ${listed}. Name it with --text-column NAME.`);
  }
  if (choice.idColumn !== undefined && !columns.includes(choice.idColumn)) {
    throw new InputError(`${file}: no column "${choice.idColumn}" for ids; columns are ${listed}.`);
  }
  return { text, id: choice.idColumn ?? findColumn(columns, ID_COLUMNS) };
}

function asText(value: FieldValue | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export interface RowContext {
  file: string;
  maxTextLength: number;
  warn: (line: number, message: string) => void;
}

/** Builds the row for one record, with the error that keeps it from being classified, if any. */
export function toInputRow(
  record: Record<string, FieldValue>,
  columns: ResolvedColumns,
  index: number,
  line: number,
  context: RowContext,
): InputRow {
  const text = asText(record[columns.text]);
  const rawId = columns.id === undefined ? '' : asText(record[columns.id]).trim();
  const id = rawId === '' ? String(index + 1) : rawId;
  // Without an id column the row number becomes the id, and is written out so `duplicate_of` can be followed.
  const fields = columns.id === undefined && !('id' in record) ? { id, ...record } : record;
  const row: InputRow = { index, line, id, text, fields };
  if (text.trim() === '') row.error = `empty text in column "${columns.text}"`;
  else if (text.length > context.maxTextLength) {
    row.error = `text too long: ${text.length} characters (limit ${context.maxTextLength})`;
  } else if (text.includes(REPLACEMENT_CHARACTER)) {
    context.warn(line, 'invalid bytes for the encoding, replaced by "\ufffd" (use --encoding if the file is not UTF-8)');
  }
  if (row.error !== undefined) context.warn(line, row.error);
  return row;
}
