/**
 * A classification job, as the CLI and the server's workers both run it: an
 * input file through the pipeline, every row handed on in order, the run
 * recorded in the store (and its rows, when asked), progress reported by phase.
 */
import type { LabelCache } from '../cache/index.js';
import type { TweetClassifier } from '../classify/index.js';
import { openInput, type InputProblem, type OpenedInput, type ReadOptions } from '../ingest/index.js';
import { toOutputRecord, type OutputRecord } from '../output/index.js';
import { createPipeline, type ClassifiedRow, type Mode, type PipelineOptions, type RunStats } from '../pipeline/index.js';
import { MAX_PROBLEMS, RunStore, type Db } from '../store/index.js';

/** `classify` follows the input's bytes (reading, cleaning, rules and model interleave); `llm` counts tweets; `write` counts rows. */
export interface JobProgress {
  phase: 'classify' | 'llm' | 'write';
  done: number;
  total: number | undefined;
  rows: number;
}

export interface JobOptions {
  inputPath: string;
  read: Pick<ReadOptions, 'textColumn' | 'idColumn' | 'encoding'>;
  mode: Mode;
  classifier: TweetClassifier;
  llm?: PipelineOptions['llm'];
  db: Db;
  /** Labels of earlier runs; the server's workers keep one per thread, so its memory level serves every run. */
  cache: LabelCache | undefined;
  storeRows: boolean;
  /** A run recorded beforehand (queued by the server); else the job records a new one. */
  runId?: number;
  /** How to name the input in the run and its messages (the server's upload has a file name of its own). */
  inputName?: string;
  onStart?: (run: { runId: number; totalBytes: number | undefined }) => void;
  /** Each classified row, in input order; a returned promise is awaited (backpressure). */
  onRow?: (row: ClassifiedRow) => Promise<void> | void;
  onProgress?: (progress: JobProgress) => void;
  onProblem?: (problem: InputProblem) => void;
  /** Last step before the run is marked done (the CLI renames its output file here). */
  beforeFinish?: () => Promise<void>;
}

const STORE_BATCH = 1000;

/** Opens a run's input; its problems are handed on and the first `MAX_PROBLEMS` kept for the run's record. */
export async function openRunInput(options: Pick<JobOptions, 'inputPath' | 'read' | 'inputName' | 'onProblem'>): Promise<{ input: OpenedInput; problems: string[] }> {
  const problems: string[] = [];
  const input = await openInput(options.inputPath, {
    ...options.read,
    displayName: options.inputName,
    onProblem: (problem) => {
      if (problems.length < MAX_PROBLEMS) problems.push(`${problem.file}:${problem.line}: ${problem.message}`);
      options.onProblem?.(problem);
    },
  });
  return { input, problems };
}

export async function runJob(options: JobOptions): Promise<{ runId: number; stats: RunStats }> {
  const { db, onProgress } = options;
  const { input, problems } = await openRunInput(options);
  const runs = new RunStore(db);
  const runId = options.runId ?? runs.start(input.name, options.mode);
  if (options.runId !== undefined) runs.markRunning(runId);
  options.onStart?.({ runId, totalBytes: input.totalBytes });
  onProgress?.({ phase: 'classify', done: 0, total: input.totalBytes, rows: 0 });
  let rows = 0;
  // LLM modes announce how many rows they hold before writing them.
  let rowsToWrite: number | undefined;
  const pipeline = createPipeline({
    mode: options.mode,
    classifier: options.classifier,
    cache: options.cache,
    llm: options.llm,
    onProgress: ({ phase, done, total }) => {
      if (phase === 'write') rowsToWrite = total;
      onProgress?.({ phase, done, total, rows });
    },
  });
  const toStore: OutputRecord[] = [];
  let written = 0;
  try {
    for await (const classified of pipeline.run(input.rows)) {
      const started = performance.now();
      const pending = options.onRow?.(classified);
      if (pending !== undefined) await pending;
      if (options.storeRows) {
        toStore.push(toOutputRecord(classified));
        if (toStore.length === STORE_BATCH) written += storeBatch(runs, runId, written, toStore);
      }
      pipeline.timeWrite(performance.now() - started);
      if ((++rows & 0xff) === 0) {
        // LLM modes emit rows only once every tweet is classified: from then on, progress is the writing.
        onProgress?.(options.llm === undefined ? { phase: 'classify', done: input.bytesRead(), total: input.totalBytes, rows } : { phase: 'write', done: rows, total: rowsToWrite, rows });
      }
    }
    const started = performance.now();
    if (toStore.length > 0) written += storeBatch(runs, runId, written, toStore);
    await options.beforeFinish?.();
    pipeline.timeWrite(performance.now() - started);
  } catch (error) {
    runs.fail(runId, error instanceof Error ? error.message : String(error));
    throw error;
  }
  const stats = pipeline.finish();
  runs.finish(runId, { inputSha256: input.sha256(), inputBytes: input.bytesRead(), stats, problems });
  onProgress?.({ phase: 'write', done: rows, total: rows, rows });
  return { runId, stats };
}

function storeBatch(runs: RunStore, runId: number, firstPosition: number, batch: OutputRecord[]): number {
  runs.storeRows(runId, firstPosition, batch);
  return batch.splice(0).length;
}
