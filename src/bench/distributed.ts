/**
 * `fmc bench --distributed`: the figures the capacity model of
 * docs/scaling.md is built from. One real-length input is classified on the
 * cluster with 1, 2, … `fmc worker` processes, each measurement in a scratch
 * database of its own (cold cache); then the queue alone is timed on Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import pg from 'pg';
import { openChunkQueue, redisConnection, submitRun } from '../cluster/index.js';
import type { RunStats } from '../pipeline/index.js';
import { connectPostgres, migratePostgres } from '../store/postgres.js';
import { writeBenchInput } from './index.js';

export interface DistributedBenchOptions {
  /** A PostgreSQL server (any database on it): the bench creates and drops its own databases there. */
  databaseUrl: string;
  redisUrl: string;
  /** The demo file the real-length input is composed from. */
  input: string;
  rows: number;
  workerCounts: readonly number[];
  workDir: string;
  onProgress: (message: string) => void;
}

interface Spread {
  median: number;
  p95: number;
}

export interface ClusterMeasure {
  workers: number;
  rows: number;
  wallSeconds: number;
  rowsPerSecond: number;
  /** Reading the file and storing its rows by COPY, overlapped with the workers. */
  submitSeconds: number;
  inputRowsPerSecond: number;
  /** A chunk from taken to stored (classify and write), in seconds. */
  chunkSeconds: Spread;
  /** A chunk from queued to taken, in seconds. */
  queueWaitSeconds: Spread;
  /** The last chunk, which also finishes the run (duplicates across chunks resolved, figures counted), in seconds. */
  lastChunkSeconds: number;
  /** Result rows stored per second of a worker's write transactions (one connection). */
  resultRowsPerWriteSecond: number;
  /** Rows classified per second of a worker's classify phase (one core). */
  rowsPerClassifySecond: number;
}

export interface QueueMeasure {
  jobs: number;
  addedPerSecond: number;
  processedPerSecond: number;
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? 0;
  return { median: at(0.5), p95: at(0.95) };
}

/** A database of its own on the server of `serverUrl`; dropped by the returned function. */
async function scratchDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `fmc_bench_${randomBytes(6).toString('hex')}`;
  const admin = (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    return client
      .connect()
      .then(() => client.query(statement))
      .finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined) };
}

/** `fmc worker` processes (this CLI's entry point), resolved once each says it is ready. */
async function startWorkers(count: number, env: NodeJS.ProcessEnv): Promise<ChildProcess[]> {
  const entry = process.argv[1] as string;
  return Promise.all(
    Array.from({ length: count }, async () => {
      const child = spawn(process.execPath, [...process.execArgv, entry, 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr?.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          if (log.includes('worker ready')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`a worker stopped (exit ${code}): ${log.slice(-500)}`)));
      });
      return child;
    }),
  );
}

async function measureCluster(options: DistributedBenchOptions, inputPath: string, workers: number): Promise<ClusterMeasure> {
  const database = await scratchDatabase(options.databaseUrl);
  const cluster = { databaseUrl: database.url, redisUrl: options.redisUrl };
  const pool = await connectPostgres(cluster.databaseUrl);
  await migratePostgres(pool);
  const queue = openChunkQueue(cluster);
  const children = await startWorkers(workers, { FMC_DATABASE_URL: cluster.databaseUrl, FMC_REDIS_URL: cluster.redisUrl });
  try {
    const started = performance.now();
    const { runId, rows } = await submitRun(pool, queue, { inputPath, read: {}, mode: 'fast' });
    const submitSeconds = (performance.now() - started) / 1000;
    for (;;) {
      const status = (await pool.query<{ status: string; error: string | null }>('SELECT status, error FROM runs WHERE id = $1', [runId])).rows[0];
      if (status?.status === 'failed') throw new Error(`the run failed: ${status.error}`);
      if (status?.status === 'done') break;
      await sleep(100);
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const jobs = await queue.getJobs(['completed'], 0, -1);
    const last = jobs.reduce((latest, job) => ((job.finishedOn ?? 0) > (latest.finishedOn ?? 0) ? job : latest));
    const { rows: chunks } = await pool.query<{ rows: number; stats: RunStats }>('SELECT rows, stats FROM run_chunks WHERE run_id = $1', [runId]);
    const sum = (pick: (chunk: { rows: number; stats: RunStats }) => number) => chunks.reduce((total, chunk) => total + pick(chunk), 0);
    return {
      workers,
      rows,
      wallSeconds,
      rowsPerSecond: rows / wallSeconds,
      submitSeconds,
      inputRowsPerSecond: rows / submitSeconds,
      chunkSeconds: spread(jobs.map((job) => ((job.finishedOn ?? 0) - (job.processedOn ?? 0)) / 1000)),
      queueWaitSeconds: spread(jobs.map((job) => ((job.processedOn ?? 0) - job.timestamp) / 1000)),
      lastChunkSeconds: ((last.finishedOn ?? 0) - (last.processedOn ?? 0)) / 1000,
      resultRowsPerWriteSecond: sum((chunk) => chunk.rows) / (sum((chunk) => chunk.stats.phaseMs.write) / 1000),
      rowsPerClassifySecond: sum((chunk) => chunk.rows) / (sum((chunk) => chunk.stats.phaseMs.classify) / 1000),
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
    await queue.obliterate({ force: true });
    await queue.close();
    await pool.end();
    await database.drop();
  }
}

/** The queue alone: jobs added in bulk, then taken by no-op workers, per second. */
async function measureQueue(redisUrl: string, jobs: number): Promise<QueueMeasure> {
  const prefix = `fmc:bench-${randomBytes(4).toString('hex')}`;
  const connection = redisConnection(redisUrl);
  const queue = new Queue('bench', { connection, prefix });
  try {
    const added = performance.now();
    for (let start = 0; start < jobs; start += 1000) {
      await queue.addBulk(Array.from({ length: Math.min(1000, jobs - start) }, (_, i) => ({ name: 'chunk', data: { runId: 1, chunk: start + i } })));
    }
    const addSeconds = (performance.now() - added) / 1000;
    let processed = 0;
    const taken = performance.now();
    const worker = new Worker('bench', async () => undefined, { connection, prefix, concurrency: 32 });
    await new Promise<void>((resolve) => worker.on('completed', () => ++processed === jobs && resolve()));
    const processSeconds = (performance.now() - taken) / 1000;
    await worker.close();
    return { jobs, addedPerSecond: jobs / addSeconds, processedPerSecond: jobs / processSeconds };
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

export async function runDistributedBenchmark(options: DistributedBenchOptions): Promise<{ clusters: ClusterMeasure[]; queue: QueueMeasure }> {
  const inputPath = join(options.workDir, 'real-length.csv');
  options.onProgress(`writing ${options.rows.toLocaleString('en')} real-length rows`);
  await writeBenchInput(options.input, 'real-length', options.rows, inputPath);
  const clusters: ClusterMeasure[] = [];
  for (const workers of options.workerCounts) {
    options.onProgress(`${workers} worker${workers === 1 ? '' : 's'}: classifying on the cluster`);
    clusters.push(await measureCluster(options, inputPath, workers));
  }
  options.onProgress('timing the queue alone');
  return { clusters, queue: await measureQueue(options.redisUrl, 20_000) };
}

export function renderDistributedReport(result: { clusters: ClusterMeasure[]; queue: QueueMeasure }, machine: string): string {
  const f = (value: number, digits = 0) => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const lines = [
    `# Distributed benchmark (${machine})`,
    '',
    '| workers | rows | wall s | rows/s | submit s (read + COPY) | input rows/s | chunk s median / p95 | queue wait s median / p95 | last chunk s (with the run\'s finish) | result rows per write-second | rows per classify-second |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...result.clusters.map(
      (run) =>
        `| ${run.workers} | ${f(run.rows)} | ${f(run.wallSeconds, 1)} | ${f(run.rowsPerSecond)} | ${f(run.submitSeconds, 1)} | ${f(run.inputRowsPerSecond)} | ${f(run.chunkSeconds.median, 2)} / ${f(run.chunkSeconds.p95, 2)} | ${f(run.queueWaitSeconds.median, 1)} / ${f(run.queueWaitSeconds.p95, 1)} | ${f(run.lastChunkSeconds, 1)} | ${f(run.resultRowsPerWriteSecond)} | ${f(run.rowsPerClassifySecond)} |`,
    ),
    '',
    `Queue alone (Redis): ${f(result.queue.jobs)} jobs added at ${f(result.queue.addedPerSecond)}/s (bulks of 1,000), taken by no-op workers at ${f(result.queue.processedPerSecond)}/s (concurrency 32).`,
    '',
  ];
  return lines.join('\n');
}
