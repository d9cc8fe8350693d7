/**
 * `fmc bench`: runs `fmc classify` as a child process per mode, cold then
 * warm, on one input; reads each run's figures back from the run store; and
 * measures in-process throughput of the local classifiers.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, statSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'csv-stringify';
import { cleanTweet } from '../clean/index.js';
import { DEFAULT_MODEL_PATH, loadClassifier } from '../classify/index.js';
import { createModelClassifier, loadModel } from '../classify/model.js';
import { createRulesClassifier } from '../classify/rules.js';
import type { TweetClassifier } from '../classify/types.js';
import { openInput } from '../ingest/index.js';
import { openDatabase, RunStore } from '../store/index.js';
import type { BenchResult, Machine, MeasuredRun, SkippedMode, Throughput } from './report.js';

export { readReportData, renderReport, type BenchResult } from './report.js';

/** The demo export shipped with the package. */
export const DEMO_INPUT = fileURLToPath(new URL('../../examples/demo_tweets.csv', import.meta.url));

export interface BenchOptions {
  input: string;
  /** Rows to up-sample (or cut) the input to; the input as it is when absent. */
  rows: number | undefined;
  modes: readonly string[];
  /** Where inputs, outputs and data directories go. */
  workDir: string;
  onProgress: (message: string) => void;
}

function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    os: `${type()} ${release()}`,
  };
}

/**
 * The input's rows cycled to `rows`: copies after the first get ` (copy N)`
 * appended, so they are new tweets to the cache while duplicates inside the
 * input stay duplicates. Written as CSV with id, author, date and text.
 */
async function upsample(input: string, rows: number, path: string): Promise<void> {
  const meta: Array<{ author: string; date: string; text: string }> = [];
  for await (const row of (await openInput(input)).rows) {
    if (row.error !== undefined) continue;
    const field = (name: string): string => (typeof row.fields[name] === 'string' ? (row.fields[name] as string) : '');
    meta.push({ author: field('author'), date: field('date'), text: row.text });
  }
  if (meta.length === 0) throw new Error(`${input}: no rows to benchmark with`);
  const csv = stringify({ header: true, columns: ['id', 'author', 'date', 'text'] });
  const file = createWriteStream(path);
  csv.pipe(file);
  for (let i = 0; i < rows; i++) {
    const { author, date, text } = meta[i % meta.length] as (typeof meta)[number];
    const copy = Math.floor(i / meta.length);
    if (!csv.write([String(i + 1), author, date, copy === 0 ? text : `${text} (copy ${copy})`])) await once(csv, 'drain');
  }
  csv.end();
  await once(file, 'finish');
}

/** One `fmc classify` process; its figures come from the run it recorded. */
async function classifyOnce(input: string, mode: string, dataDir: string, out: string): Promise<{ wallMs: number; error?: string }> {
  const entry = process.argv[1] as string;
  const started = performance.now();
  const child = spawn(process.execPath, [...process.execArgv, entry, 'classify', input, '--out', out, '--mode', mode, '--data-dir', dataDir, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  const wallMs = performance.now() - started;
  return code === 0 ? { wallMs } : { wallMs, error: stderr.trim().replace(/^fmc: error: /, '') || `exit code ${code}` };
}

function tweetsPerSecond(classifier: TweetClassifier, texts: readonly string[], count: number): number {
  const started = performance.now();
  for (let i = 0; i < count; i++) classifier.classify({ tweet: cleanTweet(`${texts[i % texts.length]} ${i}`) });
  return Math.round(count / ((performance.now() - started) / 1000));
}

/** Clean + rules and clean + rules + model on one core, on the input's texts made distinct. */
async function measureThroughput(input: string, tweets: number): Promise<Throughput> {
  const texts: string[] = [];
  for await (const row of (await openInput(input)).rows) {
    if (row.error === undefined) texts.push(row.text);
    if (texts.length === tweets) break;
  }
  const started = performance.now();
  const model = createModelClassifier(loadModel(DEFAULT_MODEL_PATH));
  const modelLoadMs = Math.round(performance.now() - started);
  return {
    rulesTweetsPerSecond: tweetsPerSecond(createRulesClassifier(), texts, tweets),
    modelTweetsPerSecond: tweetsPerSecond(model, texts, tweets),
    modelLoadMs,
    modelBytes: statSync(DEFAULT_MODEL_PATH).size,
  };
}

const THROUGHPUT_TWEETS = 30_000;

export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const { workDir, onProgress } = options;
  let input = options.input;
  let description = options.input === DEMO_INPUT ? 'the demo file examples/demo_tweets.csv' : options.input;
  if (options.rows !== undefined) {
    input = join(workDir, 'input.csv');
    await upsample(options.input, options.rows, input);
    description += `, up-sampled to ${options.rows.toLocaleString('en-US')} rows`;
  }
  const runs: MeasuredRun[] = [];
  const skipped: SkippedMode[] = [];
  for (const mode of options.modes) {
    const dataDir = join(workDir, `data-${mode}`);
    for (const run of ['cold', 'warm'] as const) {
      onProgress(`${mode} · ${run}…`);
      const { wallMs, error } = await classifyOnce(input, mode, dataDir, join(workDir, `out-${mode}-${run}.csv`));
      if (error !== undefined) {
        skipped.push({ mode, reason: error });
        break;
      }
      const db = openDatabase(dataDir, onProgress);
      const [recorded] = new RunStore(db).list(1);
      db.close();
      if (recorded?.stats === undefined) throw new Error(`${mode} ${run}: the run left no record in ${dataDir}`);
      runs.push({ mode, run, wallMs, stats: recorded.stats });
    }
  }
  onProgress('in-process throughput…');
  const throughput = await measureThroughput(input, THROUGHPUT_TWEETS);
  const first = runs[0]?.stats;
  return {
    date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
    machine: describeMachine(),
    input: { description, rows: first?.rows ?? options.rows ?? 0, bytes: statSync(input).size },
    classifier: loadClassifier().id,
    runs,
    skipped,
    throughput,
  };
}
