/** `fmc classify`: an export in, one labelled row out per input row. */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { LabelCache, type CacheLimits } from '../cache/index.js';
import { loadClassifier } from '../classify/index.js';
import { ModelRegistry } from '../models/registry.js';
import { loadConfig, type FmcConfig } from '../config/index.js';
import { runJob } from '../jobs/index.js';
import { createRowWriter, formatFromPath, type OutputFormat, type RowWriter } from '../output/index.js';
import { MODES } from '../pipeline/index.js';
import { openDatabase, resolveDataDir } from '../store/index.js';
import { createProgress } from './progress.js';
import { formatSummary } from './summary.js';
import { UsageError } from './errors.js';
import { configFlags, SettingsFlags } from './settings.js';

export const ClassifyOptions = SettingsFlags.extend({
  out: z.string().min(1).optional(),
  textColumn: z.string().min(1).optional(),
  idColumn: z.string().min(1).optional(),
  mode: z.enum(MODES).default('fast'),
  encoding: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  quiet: z.boolean().default(false),
  /** `--no-cache` sets it to false. */
  cache: z.boolean().default(true),
  store: z.boolean().default(false),
});
export type ClassifyOptions = z.infer<typeof ClassifyOptions>;

function outputFormat(out: string | undefined): OutputFormat {
  if (out === undefined) return 'jsonl';
  const format = formatFromPath(out);
  if (format === undefined) throw new UsageError(`--out ${out}: unknown format; use a .csv, .jsonl or .json file name`);
  return format;
}

const CLI_CACHE_LIMITS: CacheLimits = { maxEntries: 10_000, maxBytes: 4 * 2 ** 20 };

/** Large writes: with the default 16 KiB the run waits on the disk every hundred rows. */
const OUTPUT_BUFFER_BYTES = 1 << 20;

/** Opened before any work, so a path that cannot be written fails with a clear message. */
async function openOutput(path: string): Promise<Writable> {
  try {
    await mkdir(dirname(path), { recursive: true });
    return (await open(path, 'w')).createWriteStream({ highWaterMark: OUTPUT_BUFFER_BYTES });
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/**
 * The rows' destination: stdout, or `out` written beside the target
 * (`.partial`) and renamed by `complete`, so a failed run never leaves half a file.
 */
async function openRows(out: string | undefined, format: OutputFormat): Promise<{ writer: RowWriter; complete(): Promise<void>; abandon(): Promise<void> }> {
  const partialPath = out === undefined ? undefined : `${out}.partial`;
  const writer = createRowWriter(format, partialPath === undefined ? process.stdout : await openOutput(partialPath));
  return {
    writer,
    async complete() {
      await writer.end();
      if (partialPath !== undefined && out !== undefined) await rename(partialPath, out);
    },
    async abandon() {
      if (partialPath !== undefined) await rm(partialPath, { force: true });
    },
  };
}

/** On the cluster: the workers classify (with their model, their LLM and the shared cache), this process reads and writes. */
async function classifyOnClusterCommand(inputPath: string, options: ClassifyOptions, config: FmcConfig & { cluster: NonNullable<FmcConfig['cluster']> }, format: OutputFormat): Promise<void> {
  if (options.model !== undefined) throw new UsageError('--model: on the cluster, the workers classify with their own model (fmc worker --model)');
  if (!options.cache) throw new UsageError('--no-cache: on the cluster, the workers read and fill the shared cache (clear it in PostgreSQL to start afresh)');
  const { classifyOnCluster } = await import('./cluster.js');
  const progress = createProgress({ quiet: options.quiet });
  const rows = await openRows(options.out, format);
  let result: Awaited<ReturnType<typeof classifyOnCluster>>;
  try {
    result = await classifyOnCluster(config.cluster, {
      inputPath,
      // The workers ask their LLM; the sample's size is this run's.
      mode: options.mode,
      llm: config.llm,
      read: { textColumn: options.textColumn, idColumn: options.idColumn, encoding: options.encoding },
      writer: rows.writer,
      progress,
      onProblem: (problem) => progress.problem(problem),
    });
    await rows.complete();
  } catch (error) {
    await rows.abandon();
    throw error;
  } finally {
    progress.stop();
  }
  if (!options.quiet) process.stderr.write(formatSummary(result.stats, progress.unprintedProblems(), `run ${result.runId} recorded in the cluster's database`));
}

export async function classifyCommand(inputPath: string, rawOptions: unknown): Promise<void> {
  const options = ClassifyOptions.parse(rawOptions);
  const format = outputFormat(options.out);
  const config = loadConfig({ flags: configFlags(options) });
  if (config.cluster !== undefined) return classifyOnClusterCommand(inputPath, options, { ...config, cluster: config.cluster }, format);
  const progress = createProgress({ quiet: options.quiet });
  const dataDir = resolveDataDir(config.dataDir);
  // The data directory's default model (fmc models promote), unless one is named.
  const classifier = loadClassifier(options.model ?? new ModelRegistry(dataDir).currentPath());
  // The LLM libraries load only for the modes that use them.
  const llm = options.mode === 'fast' ? undefined : await (await import('../llm/index.js')).connectLlm(config.llm);
  const db = openDatabase(dataDir, (message) => process.stderr.write(`warning: ${message}\n`));
  const rows = await openRows(options.out, format);
  let result: Awaited<ReturnType<typeof runJob>>;
  try {
    result = await runJob({
      inputPath,
      read: { textColumn: options.textColumn, idColumn: options.idColumn, encoding: options.encoding },
      mode: options.mode,
      classifier,
      llm,
      db,
      // One run never asks twice for a text (duplicates are found before the cache): a small memory level is enough.
      cache: options.cache ? new LabelCache(db, CLI_CACHE_LIMITS) : undefined,
      storeRows: options.store,
      onStart: ({ totalBytes }) => progress.start('classify', totalBytes),
      onRow: (row) => rows.writer.write(row),
      onProgress: ({ phase, done, total, rows }) => {
        if (phase === 'classify') progress.update(rows, done);
        else if (total !== undefined && (phase === 'llm' || options.mode !== 'fast')) progress.phase(phase, done, total);
      },
      onProblem: (problem) => progress.problem(problem),
      // The file is complete before the run is recorded as done.
      beforeFinish: () => rows.complete(),
    });
  } catch (error) {
    await rows.abandon();
    throw error;
  } finally {
    progress.stop();
    db.close();
  }
  if (!options.quiet) process.stderr.write(formatSummary(result.stats, progress.unprintedProblems(), `run ${result.runId} recorded in ${dataDir}`));
}
