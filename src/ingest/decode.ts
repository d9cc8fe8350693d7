/**
 * Bytes to text: the encoding is given, or read off a BOM, or guessed from the
 * first 64 KiB (valid UTF-8, else Windows-1252, the usual non-UTF-8 export).
 */
import { Readable, type Transform } from 'node:stream';
import iconv from 'iconv-lite';

const SNIFF_BYTES = 64 * 1024;

export interface Peeked {
  head: Buffer;
  stream: Readable;
}

/** Reads the first bytes of a stream without losing them. */
export async function peek(source: Readable, bytes = SNIFF_BYTES): Promise<Peeked> {
  const iterator: AsyncIterator<Buffer> = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    yield head;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head, stream: Readable.from(replay(), { objectMode: false }) };
}

export function detectEncoding(head: Buffer): string {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  try {
    // `stream: true` lets a multi-byte character cut at the end of the sample pass.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

export function assertEncodingSupported(encoding: string): void {
  if (!iconv.encodingExists(encoding)) {
    throw new Error(`unknown encoding "${encoding}" (try utf-8, latin1, windows-1252 or utf-16le)`);
  }
}

/** A text stream (BOM stripped); undecodable bytes become U+FFFD, which readers report. */
export function decodeStream(bytes: Readable, encoding: string): Readable {
  // iconv-lite's typings say ReadWriteStream; the object is a stream.Transform.
  const decoder = iconv.decodeStream(encoding) as unknown as Transform;
  bytes.on('error', (error) => decoder.destroy(error));
  return bytes.pipe(decoder);
}

export const REPLACEMENT_CHARACTER = '\ufffd';
