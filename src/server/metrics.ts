/**
 * Prometheus metrics of the server: HTTP traffic, the run queue, finished
 * runs and rows, and the five figures the project's brief names
 * (classification time, tweets per second, cache hit rate, errors, memory),
 * with the LLM's requests, fallbacks and tokens.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { cacheHitRate, type Phase } from '../pipeline/stats.js';
import type { RunQueue } from './backends.js';
import type { RunEnd } from './jobs.js';

export interface ServerMetrics {
  registry: Registry;
  observe(method: string, route: string, status: number, seconds: number): void;
}

/** What `fmc_errors_total` counts: rows that could not be read, failed LLM requests, 5xx answers, failed runs. */
export type ErrorKind = 'input' | 'llm' | 'http' | 'run';

export function createMetrics(queue: RunQueue): ServerMetrics {
  // A registry per server: tests build several servers in one process.
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'fmc_' });
  const requests = new Counter({ name: 'fmc_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'], registers });
  const duration = new Histogram({ name: 'fmc_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'], buckets: [0.005, 0.02, 0.1, 0.5, 2, 10], registers });
  new Gauge({ name: 'fmc_runs_queued', help: 'Runs waiting for a worker', registers, collect() { this.set(queue.queued); } });
  new Gauge({ name: 'fmc_runs_running', help: 'Runs being classified', registers, collect() { this.set(queue.running); } });
  new Gauge({ name: 'fmc_queue_depth', help: 'Work waiting: runs for a thread, or (on the cluster) chunks for a worker', registers, collect() { this.set(queue.depth.waiting); } });
  new Gauge({ name: 'fmc_queue_oldest_age_seconds', help: 'How long the oldest waiting work has waited', registers, collect() { this.set(queue.depth.oldestWaitingSeconds); } });
  const finished = new Counter({ name: 'fmc_runs_finished_total', help: 'Runs finished, by status', labelNames: ['status'], registers });
  const rows = new Counter({ name: 'fmc_rows_classified_total', help: 'Rows classified by finished runs', registers });

  const phaseTime = new Histogram({ name: 'fmc_classification_time_seconds', help: 'Time of each phase of a finished run, by phase and mode', labelNames: ['phase', 'mode'], buckets: [0.01, 0.05, 0.25, 1, 5, 25, 120, 600], registers });
  let lastRowsPerSecond = 0;
  new Gauge({
    name: 'fmc_tweets_per_second',
    help: 'Rows per second: of the last finished run, and of the runs being classified together',
    labelNames: ['run'],
    registers,
    collect() {
      this.set({ run: 'last' }, lastRowsPerSecond);
      this.set({ run: 'running' }, queue.rowsPerSecond);
    },
  });
  const hitRate = new Gauge({ name: 'fmc_cache_hit_rate', help: 'Share of the distinct tweets of the last finished run whose labels came from the cache', registers });
  const errors = new Counter({ name: 'fmc_errors_total', help: 'Errors by kind: input (rows that could not be read), llm (failed requests), http (5xx answers), run (failed runs)', labelNames: ['kind'], registers });
  for (const kind of ['input', 'llm', 'http', 'run'] satisfies ErrorKind[]) errors.inc({ kind }, 0);
  new Gauge({ name: 'fmc_memory_usage_mb', help: 'Resident memory of the server process, MB', registers, collect() { this.set(Math.round(process.memoryUsage.rss() / 2 ** 20)); } });
  const llmRequests = new Counter({ name: 'fmc_llm_requests_total', help: 'Requests to the LLM by finished runs, by outcome', labelNames: ['outcome'], registers });
  const llmFallbacks = new Counter({ name: 'fmc_llm_fallbacks_total', help: 'Tweets that kept their local labels, by reason', labelNames: ['reason'], registers });
  const llmTokens = new Counter({ name: 'fmc_llm_tokens_total', help: 'LLM tokens, by direction', labelNames: ['direction'], registers });

  queue.events.on('end', ({ status, rows: count, mode, stats }: RunEnd) => {
    finished.inc({ status });
    if (status === 'failed') errors.inc({ kind: 'run' });
    if (status !== 'done' || stats === undefined) return;
    rows.inc(count);
    for (const [phase, ms] of Object.entries(stats.phaseMs) as Array<[Phase, number]>) if (ms > 0) phaseTime.observe({ phase, mode }, ms / 1000);
    lastRowsPerSecond = stats.totalMs > 0 ? Math.round(stats.rows / (stats.totalMs / 1000)) : 0;
    const rate = cacheHitRate(stats);
    if (rate !== undefined) hitRate.set(rate);
    errors.inc({ kind: 'input' }, stats.errors);
    if (stats.llm !== undefined) {
      errors.inc({ kind: 'llm' }, stats.llm.failedRequests);
      llmRequests.inc({ outcome: 'ok' }, stats.llm.requests - stats.llm.failedRequests);
      llmRequests.inc({ outcome: 'failed' }, stats.llm.failedRequests);
      for (const [reason, tweets] of Object.entries(stats.llm.fallbacks)) llmFallbacks.inc({ reason }, tweets);
      llmTokens.inc({ direction: 'in' }, stats.llm.tokensIn);
      llmTokens.inc({ direction: 'out' }, stats.llm.tokensOut);
    }
  });
  return {
    registry,
    observe(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
      if (status >= 500) errors.inc({ kind: 'http' });
    },
  };
}
