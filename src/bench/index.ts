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
import { Piscina } from 'piscina';
import { cleanTweet } from '../clean/index.js';
import { DEFAULT_MODEL_PATH, loadClassifier } from '../classify/index.js';
import { createModelClassifier, loadModel } from '../classify/model.js';
import { createRulesClassifier } from '../classify/rules.js';
import type { TweetClassifier } from '../classify/types.js';
import { openInput } from '../ingest/index.js';
import { WORKER } from '../server/jobs.js';
import type { ClassifyTask } from '../server/worker.js';
import { openDatabase, RunStore } from '../store/index.js';
import { realLengthTexts, type GeneratedKind } from './real-length.js';
import type { BenchResult, InputBench, InputKind, Machine, MeasuredRun, SkippedMode, Throughput } from './report.js';

export { GENERATED_KINDS } from './real-length.js';
export { readReportData, renderReport, type BenchResult } from './report.js';

/** The demo export shipped with the package. */
export const DEMO_INPUT = fileURLToPath(new URL('../../examples/demo_tweets.csv', import.meta.url));

export interface BenchOptions {
  input: string;
  /** Rows of each generated input; the input as it is when absent. */
  rows: number | undefined;
  /** Which inputs to generate from it when `rows` is set. */
  kinds: readonly GeneratedKind[];
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

/** The texts (and author, date) of an input's readable rows. */
async function readTweets(input: string): Promise<Array<{ author: string; date: string; text: string }>> {
  const tweets: Array<{ author: string; date: string; text: string }> = [];
  for await (const row of (await openInput(input)).rows) {
    if (row.error !== undefined) continue;
    const field = (name: string): string => (typeof row.fields[name] === 'string' ? (row.fields[name] as string) : '');
    tweets.push({ author: field('author'), date: field('date'), text: row.text });
  }
  if (tweets.length === 0) throw new Error(`${input}: no rows to benchmark with`);
  return tweets;
}

/**
 * A benchmark input of `rows` rows written as CSV (id, author, date, text).
 * `short`: the input's rows cycled, copies after the first with ` (copy N)`
 * appended, so they are new tweets to the cache while duplicates inside the
 * input stay duplicates. `real-length`: distinct texts composed of the
 * input's to the length distribution of real tweets.
 */
export async function writeBenchInput(input: string, kind: GeneratedKind, rows: number, path: string): Promise<void> {
  const tweets = await readTweets(input);
  const composed = kind === 'real-length' ? realLengthTexts(tweets.map((tweet) => tweet.text), rows) : undefined;
  const csv = stringify({ header: true, columns: ['id', 'author', 'date', 'text'] });
  const file = createWriteStream(path);
  csv.pipe(file);
  for (let i = 0; i < rows; i++) {
    const { author, date, text } = tweets[i % tweets.length] as (typeof tweets)[number];
    const copy = Math.floor(i / tweets.length);
    const written = composed?.next().value ?? (copy === 0 ? text : `${text} (copy ${copy})`);
    if (!csv.write([String(i + 1), author, date, written])) await once(csv, 'drain');
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

function tweetsPerSecond(classifier: TweetClassifier, texts: readonly string[]): number {
  const started = performance.now();
  for (const text of texts) classifier.classify({ tweet: cleanTweet(text) });
  return Math.round(texts.length / ((performance.now() - started) / 1000));
}

/** Rows per task sent to a thread: large enough that messaging costs little. */
const THREAD_BATCH = 1000;

/**
 * Clean + dedup + rules + model on `threads` worker threads of the server's
 * pool (its `classifyTweets` task), after each thread has loaded the model
 * and warmed up: what the machine's cores give together.
 */
async function threadsTweetsPerSecond(texts: readonly string[], threads: number): Promise<number> {
  const pool = new Piscina<ClassifyTask, unknown>({ filename: WORKER, name: 'classifyTweets', minThreads: threads, maxThreads: threads });
  const task = (batch: readonly string[]): ClassifyTask => ({ rows: batch.map((text, i) => ({ index: i, line: i + 1, id: String(i), text, fields: {} })), modelPath: undefined });
  try {
    await Promise.all(Array.from({ length: threads }, () => pool.run(task(texts.slice(0, 2 * THREAD_BATCH)))));
    const started = performance.now();
    const batches = Array.from({ length: Math.ceil(texts.length / THREAD_BATCH) }, (_, i) => texts.slice(i * THREAD_BATCH, (i + 1) * THREAD_BATCH));
    await Promise.all(batches.map((batch) => pool.run(task(batch))));
    return Math.round(texts.length / ((performance.now() - started) / 1000));
  } finally {
    await pool.destroy();
  }
}

/** Clean + rules and clean + rules + model on one core, then on every core, on the input's texts made distinct. */
async function measureThroughput(input: string, tweets: number): Promise<Throughput> {
  const texts: string[] = [];
  for await (const row of (await openInput(input)).rows) {
    if (row.error === undefined) texts.push(row.text);
    if (texts.length === tweets) break;
  }
  const distinct = Array.from({ length: tweets }, (_, i) => `${texts[i % texts.length]} ${i}`);
  const started = performance.now();
  const model = createModelClassifier(loadModel(DEFAULT_MODEL_PATH));
  const modelLoadMs = Math.round(performance.now() - started);
  // A first pass warms the JIT, so both figures are of optimised code.
  tweetsPerSecond(model, distinct.slice(0, 2000));
  return {
    rulesTweetsPerSecond: tweetsPerSecond(createRulesClassifier(), distinct),
    modelTweetsPerSecond: tweetsPerSecond(model, distinct),
    threads: cpus().length,
    threadsTweetsPerSecond: await threadsTweetsPerSecond(distinct, cpus().length),
    modelLoadMs,
    modelBytes: statSync(DEFAULT_MODEL_PATH).size,
  };
}

const THROUGHPUT_TWEETS = 30_000;

/** Each mode cold then warm on one input, then the in-process throughput on its texts. */
async function benchInput(input: string, kind: InputKind, description: string, options: BenchOptions): Promise<InputBench> {
  const { workDir, onProgress } = options;
  const runs: MeasuredRun[] = [];
  const skipped: SkippedMode[] = [];
  for (const mode of options.modes) {
    const dataDir = join(workDir, `data-${kind}-${mode}`);
    for (const run of ['cold', 'warm'] as const) {
      onProgress(`${kind} · ${mode} · ${run}…`);
      const { wallMs, error } = await classifyOnce(input, mode, dataDir, join(workDir, `out-${kind}-${mode}-${run}.csv`));
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
  onProgress(`${kind} · in-process throughput…`);
  const throughput = await measureThroughput(input, THROUGHPUT_TWEETS);
  return { kind, description, rows: runs[0]?.stats.rows ?? options.rows ?? 0, bytes: statSync(input).size, runs, skipped, throughput };
}

export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const inputs: InputBench[] = [];
  const name = options.input === DEMO_INPUT ? 'the demo file examples/demo_tweets.csv' : options.input;
  if (options.rows === undefined) inputs.push(await benchInput(options.input, 'file', name, options));
  else {
    for (const kind of options.kinds) {
      const path = join(options.workDir, `${kind}.csv`);
      await writeBenchInput(options.input, kind, options.rows, path);
      const how = kind === 'short' ? 'up-sampled to' : 'composed into real-length tweets (mean ~150 characters),';
      inputs.push(await benchInput(path, kind, `${name}, ${how} ${options.rows.toLocaleString('en-US')} rows`, options));
    }
  }
  return {
    date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
    machine: describeMachine(),
    classifier: loadClassifier().id,
    inputs,
  };
}
