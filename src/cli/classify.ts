/** `fmc classify`: an export in, one labelled row out per input row. */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { LabelCache } from '../cache/index.js';
import { loadClassifier } from '../classify/index.js';
import { openInput } from '../ingest/index.js';
import { createRowWriter, formatFromPath, toOutputRecord, type OutputFormat, type OutputRecord } from '../output/index.js';
import { MAX_PROBLEMS, openDatabase, resolveDataDir, RunStore } from '../store/index.js';
import { loadConfig, type ConfigSources, type FmcConfig } from '../config/index.js';
import { createBackend, createLlmClassifier } from '../llm/index.js';
import { createPipeline, MODES, type PipelineOptions } from '../pipeline/index.js';
import { createProgress } from './progress.js';
import { formatSummary } from './summary.js';
import { UsageError } from './errors.js';

export const ClassifyOptions = z.object({
  out: z.string().min(1).optional(),
  textColumn: z.string().min(1).optional(),
  idColumn: z.string().min(1).optional(),
  mode: z.enum(MODES).default('fast'),
  encoding: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  quiet: z.boolean().default(false),
  dataDir: z.string().min(1).optional(),
  /** `--no-cache` sets it to false. */
  cache: z.boolean().default(true),
  store: z.boolean().default(false),
  config: z.string().min(1).optional(),
  llmProvider: z.string().optional(),
  llmModel: z.string().optional(),
  llmUrl: z.string().optional(),
  llmBudget: z.string().optional(),
  llmBatchSize: z.string().optional(),
  llmConcurrency: z.string().optional(),
  llmTimeout: z.string().optional(),
});
export type ClassifyOptions = z.infer<typeof ClassifyOptions>;

function outputFormat(out: string | undefined): OutputFormat {
  if (out === undefined) return 'jsonl';
  const format = formatFromPath(out);
  if (format === undefined) throw new UsageError(`--out ${out}: unknown format; use a .csv, .jsonl or .json file name`);
  return format;
}

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

const STORE_BATCH = 1000;

/** The flags that are settings too (see `loadConfig`): they win over the environment and the config file. */
export function configFlags(options: Pick<ClassifyOptions, 'dataDir' | 'config' | 'llmProvider' | 'llmModel' | 'llmUrl' | 'llmBudget' | 'llmBatchSize' | 'llmConcurrency' | 'llmTimeout'>): ConfigSources['flags'] {
  return {
    dataDir: options.dataDir,
    configFile: options.config,
    llm: {
      provider: options.llmProvider,
      model: options.llmModel,
      url: options.llmUrl,
      budget: options.llmBudget,
      batchSize: options.llmBatchSize,
      concurrency: options.llmConcurrency,
      timeoutSeconds: options.llmTimeout,
    },
  };
}

/** Checked before any work: a missing model or a server that does not answer stops the run here. */
async function connectLlm(settings: FmcConfig['llm']): Promise<NonNullable<PipelineOptions['llm']>> {
  const backend = createBackend(settings);
  await backend.assertModelAvailable();
  return { classifier: createLlmClassifier(backend, settings), budget: settings.budget, minSample: settings.minSample };
}

export async function classifyCommand(inputPath: string, rawOptions: unknown): Promise<void> {
  const options = ClassifyOptions.parse(rawOptions);
  const format = outputFormat(options.out);
  const progress = createProgress({ quiet: options.quiet });
  const config = loadConfig({ flags: configFlags(options) });
  const classifier = loadClassifier(options.model);
  const llm = options.mode === 'fast' ? undefined : await connectLlm(config.llm);
  const dataDir = resolveDataDir(config.dataDir);
  const db = openDatabase(dataDir, (message) => process.stderr.write(`warning: ${message}\n`));
  const pipeline = createPipeline({
    mode: options.mode,
    classifier,
    cache: options.cache ? new LabelCache(db) : undefined,
    llm,
    onProgress: ({ phase, done, total }) => progress.phase(phase, done, total),
  });
  const problems: string[] = [];
  const input = await openInput(inputPath, {
    textColumn: options.textColumn,
    idColumn: options.idColumn,
    encoding: options.encoding,
    onProblem: (problem) => {
      if (problems.length < MAX_PROBLEMS) problems.push(`${problem.file}:${problem.line}: ${problem.message}`);
      progress.problem(problem);
    },
  });
  const runs = new RunStore(db);
  const runId = runs.start(input.name, options.mode);
  progress.start('classify', input.totalBytes);
  // Written beside the target and renamed at the end: a failed run never leaves half a file.
  const partialPath = options.out === undefined ? undefined : `${options.out}.partial`;
  const writer = createRowWriter(format, partialPath === undefined ? process.stdout : await openOutput(partialPath));
  const toStore: OutputRecord[] = [];
  let rows = 0;
  try {
    for await (const classified of pipeline.run(input.rows)) {
      const started = performance.now();
      const pending = writer.write(classified);
      if (pending !== undefined) await pending;
      if (options.store) {
        toStore.push(toOutputRecord(classified));
        if (toStore.length === STORE_BATCH) runs.storeRows(runId, rows + 1 - STORE_BATCH, toStore.splice(0));
      }
      pipeline.timeWrite(performance.now() - started);
      if ((++rows & 0xff) === 0) progress.update(rows, input.bytesRead());
    }
    const started = performance.now();
    if (toStore.length > 0) runs.storeRows(runId, rows - toStore.length, toStore.splice(0));
    await writer.end();
    if (partialPath !== undefined && options.out !== undefined) await rename(partialPath, options.out);
    pipeline.timeWrite(performance.now() - started);
  } catch (error) {
    if (partialPath !== undefined) await rm(partialPath, { force: true });
    runs.fail(runId, error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    progress.stop();
  }
  const stats = pipeline.finish();
  runs.finish(runId, { inputSha256: input.sha256(), inputBytes: input.bytesRead(), stats, problems });
  db.close();
  if (!options.quiet) process.stderr.write(formatSummary(stats, progress.unprintedProblems(), `run ${runId} recorded in ${dataDir}`));
}
