/**
 * Ingest: a path (or `-` for stdin) to a stream of `InputRow`s, whatever the
 * format and encoding, without ever holding the whole file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { assertEncodingSupported, decodeStream, detectEncoding, peek } from './decode.js';
import { readCsv, sniffDelimiter } from './csv.js';
import { readJsonArray, readJsonl } from './json.js';
import { resolveColumns, toInputRow, type RowContext } from './columns.js';
import { InputError, type FieldValue, type InputFormat, type InputRow, type ReadOptions } from './types.js';

export * from './types.js';

export const DEFAULT_MAX_TEXT_LENGTH = 50_000;

export interface OpenedInput {
  /** File name as given, `stdin` for `-`. */
  name: string;
  format: InputFormat;
  encoding: string;
  /** Size in bytes when known (files), for progress and ETA. */
  totalBytes: number | undefined;
  /** Bytes consumed so far. */
  bytesRead(): number;
  /** SHA-256 of the bytes consumed, hex: the input's hash once its rows are read. */
  sha256(): string;
  rows: AsyncIterable<InputRow>;
}

function formatFromName(name: string): InputFormat | undefined {
  const extension = extname(name).toLowerCase();
  if (extension === '.csv' || extension === '.tsv' || extension === '.txt') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  if (extension === '.json') return 'json';
  return undefined;
}

function formatFromContent(sample: string): InputFormat {
  const first = sample.trimStart()[0];
  return first === '[' ? 'json' : first === '{' ? 'jsonl' : 'csv';
}

/** The byte stream and, for a file, its size (for progress and ETA). */
async function openBytes(path: string): Promise<{ bytes: Readable; size: number | undefined }> {
  if (path === '-') return { bytes: process.stdin, size: undefined };
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new InputError(`${path}: is a directory, not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code ?? String(error)})`);
  }
  return { bytes: createReadStream(path, { highWaterMark: 256 * 1024 }), size };
}

/** Opens an input; throws `InputError` when it cannot be read at all. */
export async function openInput(path: string, options: ReadOptions = {}): Promise<OpenedInput> {
  const name = options.displayName ?? (path === '-' ? 'stdin' : path);
  if (options.encoding !== undefined) assertEncodingSupported(options.encoding);
  const { bytes, size: totalBytes } = await openBytes(path);
  const { head, stream } = await peek(bytes);
  const encoding = options.encoding ?? detectEncoding(head);
  const sample = iconv.decode(head, encoding);
  const format = options.format ?? formatFromName(path) ?? formatFromContent(sample);

  let bytesRead = 0;
  const hash = createHash('sha256');
  const counted = stream.pipe(new PassThrough({ highWaterMark: 256 * 1024 }));
  counted.on('data', (chunk: Buffer) => {
    bytesRead += chunk.length;
    hash.update(chunk);
  });
  stream.on('error', (error) => counted.destroy(error));
  const text = decodeStream(counted, encoding);

  const context: RowContext = {
    file: name,
    maxTextLength: options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH,
    warn: (line, message) => options.onProblem?.({ file: name, line, message }),
  };
  let rows: AsyncIterable<InputRow>;
  if (format === 'csv') {
    let opened = false;
    const open = async (): Promise<Readable> => {
      if (!opened) return (opened = true), text;
      return decodeStream(createReadStream(path), encoding);
    };
    rows = readCsv({ open, canReopen: path !== '-', delimiter: sniffDelimiter(sample) }, options, context);
  } else {
    rows = format === 'jsonl' ? readJsonl(text, options, context) : readJsonArray(text, options, context);
  }
  return { name, format, encoding, totalBytes, bytesRead: () => bytesRead, sha256: () => hash.copy().digest('hex'), rows };
}

/**
 * Records already in memory (a JSON request body) as rows, with the same
 * column detection and checks as a file's; throws `InputError` when no text
 * column is found.
 */
export function rowsFromRecords(name: string, records: ReadonlyArray<Record<string, FieldValue>>, options: ReadOptions = {}): InputRow[] {
  const columns = resolveColumns(name, [...new Set(records.flatMap((record) => Object.keys(record)))], options);
  const context: RowContext = {
    file: name,
    maxTextLength: options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH,
    warn: (line, message) => options.onProblem?.({ file: name, line, message }),
  };
  return records.map((record, index) => toInputRow(record, columns, index, index + 1, context));
}
