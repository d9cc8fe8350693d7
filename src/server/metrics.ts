/** Prometheus metrics of the server: HTTP traffic, the run queue, finished runs and rows. */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobQueue } from './jobs.js';

export interface ServerMetrics {
  registry: Registry;
  observe(method: string, route: string, status: number, seconds: number): void;
}

export function createMetrics(queue: JobQueue): ServerMetrics {
  // A registry per server: tests build several servers in one process.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'fmc_' });
  const requests = new Counter({ name: 'fmc_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const duration = new Histogram({ name: 'fmc_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'], buckets: [0.005, 0.02, 0.1, 0.5, 2, 10], registers: [registry] });
  new Gauge({ name: 'fmc_runs_queued', help: 'Runs waiting for a worker thread', registers: [registry], collect() { this.set(queue.queued); } });
  new Gauge({ name: 'fmc_runs_running', help: 'Runs being classified', registers: [registry], collect() { this.set(queue.running); } });
  const finished = new Counter({ name: 'fmc_runs_finished_total', help: 'Runs finished, by status', labelNames: ['status'], registers: [registry] });
  const rows = new Counter({ name: 'fmc_rows_classified_total', help: 'Rows classified by finished runs', registers: [registry] });
  queue.events.on('end', ({ status, rows: count }: { status: string; rows: number }) => {
    finished.inc({ status });
    if (status === 'done') rows.inc(count);
  });
  return {
    registry,
    observe(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}
