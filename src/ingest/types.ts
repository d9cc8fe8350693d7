/** What flows out of ingest: one `InputRow` per input record, in input order. */

export type InputFormat = 'csv' | 'jsonl' | 'json';

/** A cell of the input as read: strings from CSV, any JSON value from JSON. */
export type FieldValue = string | number | boolean | null | FieldValue[] | { [key: string]: FieldValue };

export interface InputRow {
  /** 0-based position among the input's records. */
  index: number;
  /** 1-based line of the file where the record starts. */
  line: number;
  /** From the id column, exactly as written, else the 1-based row number. */
  id: string;
  text: string;
  /** The record's original columns, written back out beside the labels. */
  fields: Record<string, FieldValue>;
  /** Why this row cannot be classified; it still comes out, with cautious labels. */
  error?: string;
}

/** A problem worth telling the user about: the row still comes out. */
export interface InputProblem {
  file: string;
  line: number;
  message: string;
}

export interface ColumnChoice {
  /** Name of the text column, as given or detected. */
  textColumn?: string;
  idColumn?: string;
}

export interface ReadOptions extends ColumnChoice {
  /** How messages name the input (default: its path, or `stdin`). */
  displayName?: string;
  format?: InputFormat;
  /** Forces the encoding; detected when absent. */
  encoding?: string;
  /** Longer texts are not tweets: the row gets an error instead of labels. */
  maxTextLength?: number;
  onProblem?: (problem: InputProblem) => void;
}

/** The input could not be read at all (missing file, no text column…). */
export class InputError extends Error {
  override name = 'InputError';
}
