/**
 * The server's run queue in the distributed mode. An upload is stored in
 * PostgreSQL by chunks and queued in BullMQ; workers anywhere classify it.
 * Progress is read from the database and pushed to this replica's SSE
 * streams whenever any worker finishes a chunk (BullMQ's `QueueEvents`), so
 * any replica follows any run.
 */
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import { QueueEvents, type Queue } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { InputRow } from '../ingest/index.js';
import type { OutputRecord } from '../output/index.js';
import type { Mode, RunStats } from '../pipeline/index.js';
import type { RunQueue, Upload } from '../server/backends.js';
import type { LiveProgress, RunEnd, SyncClassifier } from '../server/jobs.js';
import type { PgPool } from '../store/postgres.js';
import { LLM_ANSWERED_SQL, STORED_ROWS_SQL } from './finish.js';
import { CHUNK_QUEUE, queueFigures, queuePrefix, redisConnection, jobIdOf, RUN_OF_JOB_ID, type RunJob } from './queue.js';
import { failAbandonedRuns, submitRun } from './submit.js';

const REFRESH_MS = 5000;

export class ClusterRunQueue implements RunQueue {
  readonly events = new EventEmitter();
  readonly usesOwnLlm = false;
  private draining = false;
  private closed = false;
  private readonly submitting = new Set<Promise<unknown>>();
  /** Runs submitted by this replica: it alone reports their end to its metrics. */
  private readonly submitted = new Set<number>();
  private figures = { queued: 0, running: 0, rowsPerSecond: 0, depth: { waiting: 0, oldestWaitingSeconds: 0 } };
  private readonly queueEvents: QueueEvents;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pool: PgPool,
    private readonly queue: Queue<RunJob>,
    cluster: { databaseUrl: string; redisUrl: string },
    private readonly sync: SyncClassifier,
    /** `balanced`: the share of unique tweets sent to the LLM, and the least number sent. */
    private readonly llm: { budget: number; minSample: number },
    private readonly log: FastifyBaseLogger,
  ) {
    this.events.setMaxListeners(0);
    this.queueEvents = new QueueEvents(CHUNK_QUEUE, { connection: redisConnection(cluster.redisUrl), prefix: queuePrefix(cluster.databaseUrl) });
    for (const event of ['completed', 'failed'] as const) {
      this.queueEvents.on(event, ({ jobId }: { jobId: string }) => {
        const match = RUN_OF_JOB_ID.exec(jobId);
        if (match !== null) void this.announce(Number(match[1])).catch((error: unknown) => this.log.warn({ err: error }, 'progress of a chunk could not be read'));
      });
    }
    this.queueEvents.on('error', (error) => this.log.warn({ err: error }, 'queue events: connection error'));
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), REFRESH_MS);
    this.timer.unref();
  }

  get accepting(): boolean {
    return !this.draining;
  }

  get queued(): number {
    return this.figures.queued;
  }

  get running(): number {
    return this.figures.running;
  }

  get rowsPerSecond(): number {
    return this.figures.rowsPerSecond;
  }

  get depth(): { waiting: number; oldestWaitingSeconds: number } {
    return this.figures.depth;
  }

  /** Records the run and returns its id at once; its rows are stored and queued chunk by chunk after. */
  submit(upload: Upload): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let recorded: number | undefined;
      const submission = submitRun(this.pool, this.queue, {
        inputPath: upload.path,
        read: { textColumn: upload.textColumn },
        mode: upload.mode,
        llm: this.llm,
        inputName: upload.name,
        owner: upload.owner,
        onRecorded: (runId) => {
          recorded = runId;
          this.submitted.add(runId);
          resolve(runId);
        },
      })
        .then(() => (recorded === undefined ? undefined : this.announce(recorded)))
        .catch((error: unknown) => {
          if (recorded === undefined) reject(error);
          else this.log.error({ err: error, runId: recorded }, 'storing an upload failed: the run is marked failed');
        })
        .finally(() => {
          this.submitting.delete(submission);
          void rm(upload.path, { force: true });
        });
      this.submitting.add(submission);
    });
  }

  async progress(runId: number): Promise<LiveProgress | undefined> {
    const run = (
      await this.pool.query<{ status: LiveProgress['status']; rows: number; chunks: number | null; stored: number; seconds: number; llm_tweets: number | null; llm_done: number }>(
        `SELECT r.status, r.rows, r.chunks, EXTRACT(EPOCH FROM now() - r.started_at)::float AS seconds, r.llm_tweets,
                ${STORED_ROWS_SQL} AS stored,
                ${LLM_ANSWERED_SQL} AS llm_done
         FROM runs r WHERE r.id = $1`,
        [runId],
      )
    ).rows[0];
    if (run === undefined || (run.status !== 'queued' && run.status !== 'running')) return undefined;
    // The total is known once the whole input is stored (`chunks` set).
    const total = run.chunks === null ? undefined : run.rows;
    const rowsPerSecond = run.seconds > 0 ? Math.round(run.stored / run.seconds) : 0;
    const classify = { done: run.stored, total };
    if (run.llm_tweets !== null && run.llm_tweets > 0) {
      // The LLM phase: its sample is chosen (every row is classified) and its batches are being answered.
      return { status: 'running', phase: 'llm', rows: run.stored, phases: { classify, llm: { done: run.llm_done, total: run.llm_tweets } }, rowsPerSecond, etaSeconds: undefined, error: undefined };
    }
    const share = total === undefined || total === 0 ? undefined : run.stored / total;
    return {
      status: run.stored > 0 ? 'running' : run.status,
      phase: 'classify',
      rows: run.stored,
      phases: { classify },
      rowsPerSecond,
      etaSeconds: share === undefined || share === 0 ? undefined : Math.round((run.seconds / share) * (1 - share)),
      error: undefined,
    };
  }

  async cancel(runId: number): Promise<boolean> {
    const changed = (await this.pool.query("UPDATE runs SET status = 'failed', finished_at = now(), error = 'cancelled' WHERE id = $1 AND status IN ('queued', 'running')", [runId])).rowCount ?? 0;
    if (changed === 0) return false;
    // Jobs not taken yet are dropped; a worker holding one finds the run cancelled and stores nothing.
    const { rows: chunks } = await this.pool.query<{ chunk: number }>('SELECT chunk FROM run_chunks WHERE run_id = $1 AND NOT done', [runId]);
    const { rows: batches } = await this.pool.query<{ batch: number }>('SELECT batch FROM run_llm_batches WHERE run_id = $1 AND NOT done', [runId]);
    const jobIds = [...chunks.map(({ chunk }) => jobIdOf({ kind: 'chunk', runId, chunk })), ...batches.map(({ batch }) => jobIdOf({ kind: 'llm', runId, batch }))];
    await Promise.all(jobIds.map((jobId) => this.queue.remove(jobId).catch(() => 0)));
    await this.announce(runId);
    return true;
  }

  classify(rows: InputRow[]): Promise<OutputRecord[]> {
    return this.sync.classify(rows);
  }

  async shutdown(graceMs: number): Promise<void> {
    this.draining = true;
    // Uploads being stored are finished (workers classify the rest whatever this replica does).
    await Promise.race([Promise.allSettled([...this.submitting]), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    await this.close();
  }

  /** Closes the cluster connections (queue, its events, the database pool) and the classify thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await Promise.allSettled([this.queueEvents.close(), this.queue.close(), this.sync.close()]);
    await this.pool.end().catch(() => undefined);
  }

  /** Tells this replica's listeners where a run is; once it has ended, the end too. */
  private async announce(runId: number): Promise<void> {
    const live = await this.progress(runId);
    if (live !== undefined) {
      this.events.emit(`run:${runId}`, live);
      return;
    }
    const run = (await this.pool.query<{ status: 'done' | 'failed'; rows: number; mode: Mode; stats: RunStats | null; error: string | null }>('SELECT status, rows, mode, stats, error FROM runs WHERE id = $1', [runId])).rows[0];
    if (run === undefined) return;
    this.events.emit(`run:${runId}`, { status: run.status, phase: 'classify', rows: run.rows, phases: {}, rowsPerSecond: 0, etaSeconds: 0, error: run.error ?? undefined } satisfies LiveProgress);
    if (this.submitted.delete(runId)) this.events.emit('end', { runId, status: run.status, rows: run.rows, mode: run.mode, stats: run.stats ?? undefined } satisfies RunEnd);
  }

  private async refresh(): Promise<void> {
    for (const runId of await failAbandonedRuns(this.pool)) {
      this.log.warn({ runId }, 'a run whose upload stopped being stored is marked failed');
      await this.announce(runId);
    }
    const { rows } = await this.pool.query<{ status: string; n: number; stored: number; seconds: number }>(
      `SELECT r.status, COUNT(*)::int AS n,
              COALESCE(SUM(${STORED_ROWS_SQL}), 0)::int AS stored,
              COALESCE(MAX(EXTRACT(EPOCH FROM now() - r.started_at)), 0)::float AS seconds
       FROM runs r WHERE r.status IN ('queued', 'running') GROUP BY r.status`,
    );
    const of = (status: string) => rows.find((row) => row.status === status);
    const running = of('running');
    const { waiting, oldestWaitingSeconds } = await queueFigures(this.queue);
    this.figures = {
      queued: of('queued')?.n ?? 0,
      running: running?.n ?? 0,
      rowsPerSecond: running === undefined || running.seconds === 0 ? 0 : Math.round(running.stored / running.seconds),
      depth: { waiting, oldestWaitingSeconds },
    };
  }
}
