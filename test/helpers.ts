import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openInput } from '../src/ingest/index.js';
import type { InputProblem, InputRow, ReadOptions } from '../src/ingest/types.js';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'fmc-test-'));
}

export function writeTemp(name: string, content: string | Buffer): string {
  const path = join(tempDir(), name);
  writeFileSync(path, content);
  return path;
}

export async function readAll(path: string, options: ReadOptions = {}): Promise<{ rows: InputRow[]; problems: InputProblem[] }> {
  const problems: InputProblem[] = [];
  const input = await openInput(path, { ...options, onProblem: (problem) => problems.push(problem) });
  const rows: InputRow[] = [];
  for await (const row of input.rows) rows.push(row);
  return { rows, problems };
}
