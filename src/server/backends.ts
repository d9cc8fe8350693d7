/**
 * What the server needs of its store and of the queue that runs uploads. The
 * embedded backends (SQLite, piscina threads) answer at once; the cluster's
 * (PostgreSQL, BullMQ workers) over the network, so every call is awaited.
 */
import type { EventEmitter } from 'node:events';
import type { AccountStore, AuditLog } from '../auth/index.js';
import type { InputRow } from '../ingest/index.js';
import type { OutputRecord } from '../output/index.js';
import type { Mode } from '../pipeline/index.js';
import type { Correction, ReviewQueue, ReviewScope, RunDashboard, RunRecord, StoredTweet, TweetQuery } from '../store/index.js';
import type { Labels } from '../labels.js';
import type { LiveProgress } from './jobs.js';

export type MaybePromise<T> = T | Promise<T>;

/** The runs as the API reads them. */
export interface RunReader {
  list(limit: number): MaybePromise<RunRecord[]>;
  get(id: number): MaybePromise<RunRecord | undefined>;
  tweets(id: number, query: TweetQuery): MaybePromise<{ total: number; items: StoredTweet[] }>;
  dashboard(id: number): MaybePromise<RunDashboard>;
  /** Gives a row the labels a person chose (`label_source` human, confidence 1) and records the correction; undefined when there is no such row. */
  correct(id: number, position: number, labels: Omit<Labels, 'confidence'>, author: string): MaybePromise<Correction | undefined>;
  /** The rows of a run (or of every finished run) no person has reviewed, most instructive first; with the counts reviewed and to review. */
  review(scope: ReviewScope, limit: number): MaybePromise<ReviewQueue>;
  /** One row, by its position in the input. */
  row(id: number, position: number): MaybePromise<OutputRecord | undefined>;
  /** Every row in input order, read lazily (exports). */
  allRows(id: number): Iterable<OutputRecord> | AsyncIterable<OutputRecord>;
  delete(id: number): MaybePromise<boolean>;
}

/** An upload saved under the data directory (or a temporary directory), to be run. */
export interface Upload {
  path: string;
  /** The file's own name. */
  name: string;
  mode: Mode;
  textColumn: string | undefined;
  owner: string | undefined;
}

/**
 * Runs uploads. `events` emits `run:<id>` with a run's `LiveProgress` as it
 * goes and `end` with a `RunEnd` when a run this server follows ends.
 */
export interface RunQueue {
  readonly events: EventEmitter;
  /** False once the server is stopping: uploads are refused rather than queued. */
  readonly accepting: boolean;
  /** True when runs ask this process's LLM (checked before an upload is taken); on the cluster, the workers ask theirs. */
  readonly usesOwnLlm: boolean;
  /** For the metrics: runs waiting, runs going, their rows per second. */
  readonly queued: number;
  readonly running: number;
  readonly rowsPerSecond: number;
  /** Work waiting (runs here; chunks on the cluster) and how long the oldest has waited: what an autoscaler reads. */
  readonly depth: { waiting: number; oldestWaitingSeconds: number };
  /** Records the run and queues it; returns its id. */
  submit(upload: Upload): Promise<number>;
  progress(runId: number): MaybePromise<LiveProgress | undefined>;
  /** Stops a queued or running run; true when there was one to stop. */
  cancel(runId: number): MaybePromise<boolean>;
  /** A small synchronous batch (mode fast), off the event loop. */
  classify(rows: InputRow[]): Promise<OutputRecord[]>;
  /** Refuses new uploads and gives the runs in hand `graceMs` to end. */
  shutdown(graceMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Everything behind the routes: the embedded backends by default, the cluster's with `--database-url` and `--redis-url`. */
export interface ServerBackends {
  runs: RunReader;
  accounts: AccountStore;
  audit: AuditLog;
  queue: RunQueue;
  /** Throws when the store (or the queue) cannot serve: `/readyz` answers 503 with the message. */
  ready(): MaybePromise<void>;
}
