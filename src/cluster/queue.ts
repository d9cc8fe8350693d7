/** The work queue of the distributed mode: BullMQ on Redis, one job per chunk of a run, then one per batch of its LLM sample. */
import { Queue, type ConnectionOptions } from 'bullmq';

export const CHUNK_QUEUE = 'fmc-chunks';

/** A chunk of a run: rows `[firstPosition, firstPosition + rows)`, classified by rules and model. */
export interface ChunkJob {
  kind: 'chunk';
  runId: number;
  chunk: number;
  firstPosition: number;
  rows: number;
}

/** A batch of the LLM sample of a `balanced` or `precise` run (its positions are in `run_llm_batches`). */
export interface LlmJob {
  kind: 'llm';
  runId: number;
  batch: number;
  tweets: number;
}

/** What workers take from the queue. */
export type RunJob = ChunkJob | LlmJob;

/** A job's id says its run: `run12-chunk3`, `run12-llm0`. */
export function jobIdOf(job: Pick<ChunkJob, 'kind' | 'runId' | 'chunk'> | Pick<LlmJob, 'kind' | 'runId' | 'batch'>): string {
  return job.kind === 'chunk' ? `run${job.runId}-chunk${job.chunk}` : `run${job.runId}-llm${job.batch}`;
}

export const RUN_OF_JOB_ID = /^run(\d+)-(?:chunk|llm)\d+$/;

/** The Redis URL as BullMQ's connection options (`redis://[user:password@]host:port/db`, `rediss://` for TLS). */
export function redisConnection(url: string): ConnectionOptions {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new Error(`${url}: a Redis URL starts with redis:// or rediss://`);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: decodeURIComponent(parsed.username) || undefined,
    password: decodeURIComponent(parsed.password) || undefined,
    db: Number(parsed.pathname.slice(1) || 0),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's workers block on Redis and must wait out a restart rather than fail their commands.
    maxRetriesPerRequest: null,
  };
}

/**
 * Keys in Redis are prefixed with the database's name: one Redis can serve
 * several clusters (staging and production, or the tests), each with its own queue.
 */
export function queuePrefix(databaseUrl: string): string {
  return `fmc:${decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || 'postgres'}`;
}

export function openChunkQueue(cluster: { databaseUrl: string; redisUrl: string }): Queue<RunJob> {
  return new Queue<RunJob>(CHUNK_QUEUE, {
    connection: redisConnection(cluster.redisUrl),
    prefix: queuePrefix(cluster.databaseUrl),
    defaultJobOptions: {
      // A chunk that fails (the database away for a while) is tried again later; after that the run fails, saying why.
      attempts: 8,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 86_400 },
    },
  });
}

/** What an autoscaler scales workers on: chunks waiting and in hand, and how long the oldest has waited. */
export interface QueueFigures {
  waiting: number;
  active: number;
  oldestWaitingSeconds: number;
}

export async function queueFigures(queue: Queue<RunJob>): Promise<QueueFigures> {
  const counts = await queue.getJobCounts('wait', 'delayed', 'prioritized', 'active');
  const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
  return {
    waiting: (counts.wait ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
    active: counts.active ?? 0,
    oldestWaitingSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest.timestamp) / 1000),
  };
}
