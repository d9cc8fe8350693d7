/**
 * The server's job queue: runs go to a piscina pool of worker threads (one
 * run at a time per thread, the rest queued), their progress comes back over
 * a MessageChannel and is kept here for `GET /api/runs/:id` and the SSE stream.
 */
import { EventEmitter, once } from 'node:events';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { extname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { FmcConfig } from '../config/index.js';
import type { JobProgress } from '../jobs/index.js';
import type { OutputRecord } from '../output/index.js';
import { MODES, type Mode, type RunStats } from '../pipeline/index.js';
import { RunStore, type Db } from '../store/index.js';
import type { RunQueue, Upload } from './backends.js';
import type { ClassifyTask, RunTask } from './worker.js';

/** What the queue tells when a run ends (`events.on('end')`); a finished run's figures come with it. */
export interface RunEnd {
  runId: number;
  status: 'done' | 'failed';
  rows: number;
  mode: Mode;
  stats: RunStats | undefined;
}

/** What a client sees of a run in progress, phase by phase. */
export interface LiveProgress {
  status: 'queued' | 'running' | 'done' | 'failed';
  phase: JobProgress['phase'] | undefined;
  rows: number;
  /** Per phase: done and total (bytes for `classify`, tweets for `llm`, rows for `write`). */
  phases: Partial<Record<JobProgress['phase'], { done: number; total: number | undefined }>>;
  rowsPerSecond: number;
  /** Seconds left in the current phase, when its total is known. */
  etaSeconds: number | undefined;
  error: string | undefined;
}

export interface QueueOptions {
  db: Db;
  dataDir: string;
  config: FmcConfig;
  /** The model of a run, asked when it is queued (undefined: the shipped one). */
  modelPath: () => string | undefined;
  /** Threads that run uploads (default 1: the other core serves requests). */
  threads: number;
}

/** The worker threads' module: `.ts` under tsx (tests, development), `.js` once compiled. */
export const WORKER = fileURLToPath(new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** Small synchronous batches (`POST /api/classify`) on a thread of their own, so they never wait behind an upload. */
export class SyncClassifier {
  private readonly pool = new Piscina({ filename: WORKER, name: 'classifyTweets', maxThreads: 1, minThreads: 0, idleTimeout: 60_000 });

  /** `modelPath` is asked for each batch: the default model may change while the server runs. */
  constructor(private readonly modelPath: () => string | undefined) {}

  classify(rows: ClassifyTask['rows']): Promise<OutputRecord[]> {
    const task: ClassifyTask = { rows, modelPath: this.modelPath() };
    return this.pool.run(task) as Promise<OutputRecord[]>;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

export class JobQueue implements RunQueue {
  readonly events = new EventEmitter();
  readonly usesOwnLlm = true;
  private readonly live = new Map<number, LiveProgress & { queuedAt: number; started: number; controller: AbortController; mode: Mode }>();
  private readonly runPool: Piscina;
  private readonly sync: SyncClassifier;
  private readonly runs: RunStore;
  /** Set when `shutdown` starts: no new run is taken. */
  private draining = false;
  /** Set once the grace period is over: runs stopped from now on are left to be resumed, not failed. */
  private stopping = false;
  private closed = false;

  constructor(private readonly options: QueueOptions) {
    this.runs = new RunStore(options.db);
    // minThreads = maxThreads: when a cancelled run's thread is terminated, piscina respawns it and the queue goes on
    // (with minThreads 0 the queued runs wait for the next submission).
    this.runPool = new Piscina({ filename: WORKER, name: 'classifyRun', maxThreads: options.threads, minThreads: options.threads, idleTimeout: 60_000 });
    this.sync = new SyncClassifier(options.modelPath);
    this.events.setMaxListeners(0);
  }

  /** Rows per second of the runs being classified, together. */
  get rowsPerSecond(): number {
    return [...this.live.values()].reduce((sum, run) => sum + (run.status === 'running' ? run.rowsPerSecond : 0), 0);
  }

  get depth(): { waiting: number; oldestWaitingSeconds: number } {
    const waiting = [...this.live.values()].filter((run) => run.status === 'queued');
    const oldest = Math.min(...waiting.map((run) => run.queuedAt));
    return { waiting: waiting.length, oldestWaitingSeconds: waiting.length === 0 ? 0 : (performance.now() - oldest) / 1000 };
  }

  /** Runs waiting for a thread. */
  get queued(): number {
    return this.runPool.queueSize;
  }

  /**
   * Runs a thread is working on: every run not ended is either waiting in the
   * pool's queue or on a thread. (A run's first progress message comes a little
   * after its worker starts it, so the live status would lag behind the store's.)
   */
  get running(): number {
    const unfinished = [...this.live.values()].filter((run) => run.status === 'queued' || run.status === 'running').length;
    return Math.max(0, unfinished - this.runPool.queueSize);
  }

  progress(runId: number): LiveProgress | undefined {
    const run = this.live.get(runId);
    if (run === undefined) return undefined;
    const { queuedAt: _queuedAt, started: _started, controller: _controller, mode: _mode, ...progress } = run;
    return progress;
  }

  /** Records a run on an upload saved in the data directory and queues it. */
  async submit(upload: Upload): Promise<number> {
    // The input is named relative to the data directory, so that a restored backup resumes it too.
    const runId = this.runs.start(upload.name, upload.mode, 'queued', { owner: upload.owner, inputPath: relative(this.options.dataDir, upload.path), textColumn: upload.textColumn });
    this.enqueue(runId, upload, upload.mode, upload.textColumn);
    return runId;
  }

  /** Queues a recorded run; its input is kept until the run ends (done, failed or cancelled). */
  private enqueue(runId: number, input: { path: string; name: string }, mode: Mode, textColumn: string | undefined): void {
    const inputPath = input.path;
    const controller = new AbortController();
    const run = { status: 'queued' as const, phase: undefined, rows: 0, phases: {}, rowsPerSecond: 0, etaSeconds: undefined, error: undefined, queuedAt: performance.now(), started: 0, controller, mode };
    this.live.set(runId, run);
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (progress: JobProgress) => this.update(runId, progress));
    const task: RunTask = { runId, inputPath, inputName: input.name, textColumn, mode, dataDir: this.options.dataDir, llm: this.options.config.llm, modelPath: this.options.modelPath(), port: port2 };
    this.runPool
      .run(task, { transferList: [port2], signal: controller.signal })
      .then((stats: RunStats) => this.end(runId, 'done', undefined, stats))
      .catch((error: unknown) => {
        if (this.stopping) return;
        const message = controller.signal.aborted ? 'cancelled' : error instanceof Error ? error.message : String(error);
        // Errors before the job started (no LLM, unreadable input) leave the run for us to mark.
        if (this.runs.get(runId)?.status !== 'failed') this.runs.fail(runId, message);
        this.end(runId, 'failed', message);
      })
      .finally(() => {
        port1.close();
        if (!this.stopping) void rm(inputPath, { force: true });
      });
    this.emit(runId);
  }

  /** Stops a queued or running run; true when there was one to stop. */
  cancel(runId: number): boolean {
    const run = this.live.get(runId);
    if (run === undefined || run.status === 'done' || run.status === 'failed') return false;
    run.controller.abort();
    return true;
  }

  classify(rows: ClassifyTask['rows']): Promise<OutputRecord[]> {
    return this.sync.classify(rows);
  }

  /**
   * Queues again the runs a crash or a stop left unfinished: each starts over
   * from its kept input with none of its rows stored, so every row ends up
   * stored once. A run whose input is gone fails, saying so. Returns the ids resumed.
   */
  resume(): number[] {
    const resumed: number[] = [];
    for (const run of this.runs.unfinished()) {
      // Kept relative to the data directory, so that a restored backup resumes too.
      const path = resolve(this.options.dataDir, run.inputPath);
      const mode = MODES.find((candidate) => candidate === run.mode);
      if (!existsSync(path) || mode === undefined) {
        this.runs.fail(run.id, `interrupted, and cannot be resumed: its input ${path} is gone`);
        continue;
      }
      this.runs.requeue(run.id);
      this.enqueue(run.id, { path, name: run.inputName }, mode, run.textColumn);
      resumed.push(run.id);
    }
    return resumed;
  }

  /** False once the server is stopping: uploads are refused (503) rather than queued. */
  get accepting(): boolean {
    return !this.draining;
  }

  /**
   * Stops: running runs get up to `graceMs` to end; those still going are then
   * stopped where they are, their input kept and their status left for `resume`.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.draining = true;
    const deadline = AbortSignal.timeout(graceMs);
    while (this.live.size > 0 && !deadline.aborted) {
      await Promise.race([once(this.events, 'end'), once(deadline, 'abort')]);
    }
    this.stopping = true;
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const run of this.live.values()) run.controller.abort();
    await Promise.all([this.runPool.destroy(), this.sync.close()]);
  }

  private update(runId: number, progress: JobProgress): void {
    const run = this.live.get(runId);
    if (run === undefined) return;
    if (run.status === 'queued') Object.assign(run, { status: 'running', started: performance.now() });
    const seconds = (performance.now() - run.started) / 1000;
    run.phase = progress.phase;
    run.rows = progress.rows;
    run.phases[progress.phase] = { done: progress.done, total: progress.total };
    run.rowsPerSecond = seconds > 0 ? Math.round(progress.rows / seconds) : 0;
    const phaseShare = progress.total === undefined || progress.total === 0 ? undefined : progress.done / progress.total;
    run.etaSeconds = phaseShare === undefined || phaseShare === 0 ? undefined : Math.round((seconds / phaseShare) * (1 - phaseShare));
    this.emit(runId);
  }

  private end(runId: number, status: 'done' | 'failed', error: string | undefined, stats?: RunStats): void {
    const run = this.live.get(runId);
    if (run === undefined) return;
    Object.assign(run, { status, error, etaSeconds: 0 });
    this.emit(runId);
    const ended: RunEnd = { runId, status, rows: run.rows, mode: run.mode, stats };
    this.events.emit('end', ended);
    // Finished runs are read from the store from now on.
    this.live.delete(runId);
  }

  private emit(runId: number): void {
    const run = this.live.get(runId);
    if (run !== undefined) this.events.emit(`run:${runId}`, this.progress(runId));
  }
}
