/** `fmc bench`: cold and warm runs per mode, in-process throughput, a markdown report; `--distributed`: the cluster's figures. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DEMO_INPUT, GENERATED_KINDS, readReportData, renderReport, runBenchmark } from '../bench/index.js';
import { loadConfig } from '../config/index.js';
import { MODES } from '../pipeline/index.js';
import { UsageError } from './errors.js';

const BenchOptions = z.object({
  input: z.string().min(1).optional(),
  rows: z.coerce.number().int().positive().optional(),
  modes: z.array(z.enum(MODES)).min(1).default(['fast', 'balanced']),
  inputs: z.array(z.enum(GENERATED_KINDS)).min(1).default([...GENERATED_KINDS]),
  report: z.string().min(1).default('benchmark_report.md'),
  distributed: z.boolean().default(false),
  workers: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'worker counts, comma-separated (1,2)')
    .transform((counts) => counts.split(',').map(Number))
    .default([1, 2]),
  databaseUrl: z.string().min(1).optional(),
  redisUrl: z.string().min(1).optional(),
});

/** `--distributed`: one real-length input on the cluster with each number of workers, then the queue alone. */
async function distributedBench(options: z.infer<typeof BenchOptions>, workDir: string): Promise<void> {
  const { cluster } = loadConfig({ flags: { databaseUrl: options.databaseUrl, redisUrl: options.redisUrl } });
  if (cluster === undefined) throw new UsageError('--distributed needs the cluster: --database-url postgres://… --redis-url redis://… (or FMC_DATABASE_URL and FMC_REDIS_URL)');
  const { renderDistributedReport, runDistributedBenchmark } = await import('../bench/distributed.js');
  const result = await runDistributedBenchmark({
    ...cluster,
    input: options.input ?? DEMO_INPUT,
    rows: options.rows ?? 1_000_000,
    workerCounts: options.workers,
    workDir,
    onProgress: (message) => process.stderr.write(`${message}\n`),
  });
  process.stdout.write(renderDistributedReport(result, `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores`));
}

/** With no input, the demo file made into the seed's 2,634 rows, short and real-length. */
const DEFAULT_ROWS = 2634;

export async function benchCommand(rawOptions: unknown): Promise<void> {
  const options = BenchOptions.parse(rawOptions);
  const workDir = mkdtempSync(join(tmpdir(), 'fmc-bench-'));
  try {
    if (options.distributed) return await distributedBench(options, workDir);
    const result = await runBenchmark({
      input: options.input ?? DEMO_INPUT,
      rows: options.rows ?? (options.input === undefined ? DEFAULT_ROWS : undefined),
      modes: options.modes,
      kinds: options.inputs,
      workDir,
      onProgress: (message) => process.stderr.write(`${message}\n`),
    });
    const previous = existsSync(options.report) ? readReportData(readFileSync(options.report, 'utf8')) : undefined;
    const report = renderReport(result, previous);
    writeFileSync(options.report, report);
    process.stdout.write(report.slice(0, report.indexOf('<!--')));
    process.stderr.write(`report written to ${options.report}\n`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
