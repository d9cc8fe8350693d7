import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { openInput } from '../src/ingest/index.js';
import type { RadarTweet } from '../src/radar/index.js';
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

export interface FmcResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source; the data directory is a fresh temporary one unless `FMC_DATA_DIR` is given. */
export function fmc(args: string[], input?: string, env: Record<string, string> = {}): FmcResult {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, FMC_DATA_DIR: tempDir(), ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The CLI as a child process that runs beside the test (for concurrency and kills). */
export function fmcProcess(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, FMC_DATA_DIR: tempDir(), ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<FmcResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

export const TEXTS = [
  "plus d'internet depuis hier soir, la box clignote",
  'merci free, la fibre est enfin installée et ça marche très bien',
  'prélevé deux fois ce mois-ci, remboursez-moi',
  'le sav ne répond pas depuis une semaine, dossier toujours ouvert',
  'quel est le prix de la freebox pop ?',
  'coupure réseau mobile dans tout le quartier depuis ce matin',
];

/** A CSV of `count` distinct French tweets. */
export function manyTweets(count: number): string {
  const lines = ['id,author,text'];
  for (let i = 0; i < count; i++) lines.push(`${i + 1},user${i % 50},"${TEXTS[i % TEXTS.length]} (message ${i})"`);
  return `${lines.join('\n')}\n`;
}

/** Simulated radar tweets as an export: id, date (ISO, empty when undated), text. */
export function radarCsv(tweets: readonly RadarTweet[]): string {
  return stringify(tweets.map((tweet) => [tweet.id, tweet.time === undefined ? '' : new Date(tweet.time).toISOString(), tweet.text]), { header: true, columns: ['id', 'date', 'text'] });
}
