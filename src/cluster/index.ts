/**
 * The distributed mode: PostgreSQL holds runs, rows and the shared label
 * cache; BullMQ on Redis hands chunks of a run to any number of workers.
 */
export { failRun, finishIfComplete, LLM_ANSWERED_SQL, STORED_ROWS_SQL } from './finish.js';
export { CHUNK_QUEUE, openChunkQueue, queueFigures, queuePrefix, redisConnection, type ChunkJob, type LlmJob, type QueueFigures, type RunJob } from './queue.js';
export { runResults } from './results.js';
export { failAbandonedRuns, submitRun, type SubmitOptions } from './submit.js';
export { startWorker, type WorkerOptions } from './worker.js';
export { clusterBackends } from './backends.js';
export { PgRunReader } from './reader.js';
export { ClusterRunQueue } from './run-queue.js';
