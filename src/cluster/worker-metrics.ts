/**
 * A worker's Prometheus metrics (`fmc worker --metrics-port`): chunks and rows
 * it classified, how long chunks take, the LLM batches it answered, and the queue's depth and the age of
 * its oldest chunk, which an autoscaler scales workers on.
 */
import { createServer, type Server } from 'node:http';
import type { Queue, Worker } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { queueFigures, type RunJob } from './queue.js';

export function serveWorkerMetrics(worker: Worker<RunJob>, queue: Queue<RunJob>, port: number, host: string): Promise<Server> {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'fmc_worker_' });
  const chunks = new Counter({ name: 'fmc_worker_chunks_total', help: 'Chunks this worker finished, by status', labelNames: ['status'], registers });
  const rows = new Counter({ name: 'fmc_rows_classified_total', help: 'Rows of the chunks this worker stored', registers });
  const duration = new Histogram({ name: 'fmc_chunk_duration_seconds', help: 'Time to classify and store a chunk', buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
  new Gauge({ name: 'fmc_memory_usage_mb', help: 'Resident memory of the worker process, MB', registers, collect() { this.set(Math.round(process.memoryUsage.rss() / 2 ** 20)); } });
  const depth = new Gauge({ name: 'fmc_queue_depth', help: 'Chunks waiting for a worker', registers });
  const active = new Gauge({ name: 'fmc_queue_active', help: 'Chunks in the hands of workers', registers });
  const age = new Gauge({ name: 'fmc_queue_oldest_age_seconds', help: 'How long the oldest waiting chunk has waited', registers });
  const llmBatches = new Counter({ name: 'fmc_worker_llm_batches_total', help: 'LLM batches of balanced and precise runs this worker finished, by status', labelNames: ['status'], registers });
  const llmTweets = new Counter({ name: 'fmc_worker_llm_tweets_total', help: 'Tweets of the LLM batches this worker stored', registers });
  worker.on('completed', (job) => {
    if (job.data.kind === 'llm') {
      llmBatches.inc({ status: 'done' });
      llmTweets.inc(job.data.tweets);
      return;
    }
    chunks.inc({ status: 'done' });
    rows.inc(job.data.rows);
    if (job.finishedOn !== undefined && job.processedOn !== undefined) duration.observe((job.finishedOn - job.processedOn) / 1000);
  });
  worker.on('failed', (job) => (job?.data.kind === 'llm' ? llmBatches : chunks).inc({ status: 'failed' }));
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end('see /metrics\n');
      return;
    }
    void (async () => {
      // The queue's figures are read when scraped: Redis answers them in a round trip.
      const figures = await queueFigures(queue).catch(() => undefined);
      if (figures !== undefined) {
        depth.set(figures.waiting);
        active.set(figures.active);
        age.set(figures.oldestWaitingSeconds);
      }
      response.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
    })();
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}
