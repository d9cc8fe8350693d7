/**
 * What the server's worker threads run (through piscina): a whole run on an
 * uploaded file, a small synchronous batch, or a model's retraining and
 * judging. Off the event loop, on the same job runner, pipeline and registry
 * as the CLI.
 */
import type { MessagePort } from 'node:worker_threads';
import { LabelCache } from '../cache/index.js';
import { lastLoaded, loadClassifier, type TweetClassifier } from '../classify/index.js';
import type { FmcConfig } from '../config/index.js';
import type { InputRow } from '../ingest/index.js';
import { runJob, type JobProgress } from '../jobs/index.js';
import { connectLlm } from '../llm/index.js';
import { toOutputRecord, type OutputRecord } from '../output/index.js';
import { createPipeline, type Mode, type RunStats } from '../pipeline/index.js';
import { ModelRegistry, type RegisteredModel } from '../models/registry.js';
import { judge, retrain, trainingSources } from '../models/retrain.js';
import type { Comparison, Verdict } from '../models/guard.js';
import { openDatabase, type Db } from '../store/index.js';
import { sqliteSql } from '../store/sql.js';

export interface RunTask {
  runId: number;
  inputPath: string;
  /** The uploaded file's own name, for messages. */
  inputName: string;
  textColumn: string | undefined;
  mode: Mode;
  dataDir: string;
  llm: FmcConfig['llm'];
  modelPath: string | undefined;
  /** Progress goes back to the server through it. */
  port: MessagePort;
}

export interface ClassifyTask {
  rows: InputRow[];
  modelPath: string | undefined;
}

let db: Db | undefined;
let cache: LabelCache | undefined;

export interface ModelTask {
  dataDir: string;
  /** The training-data directory (train.jsonl, and paraphrases, synthetic, dev when there are). */
  trainingData: string | undefined;
  margin: number;
}

/** The model is loaded once per thread (17 ms) and kept until the default changes. */
const localClassifier: (modelPath: string | undefined) => TweetClassifier = lastLoaded(loadClassifier);

export async function classifyRun(task: RunTask): Promise<RunStats> {
  db ??= openDatabase(task.dataDir, () => undefined);
  cache ??= new LabelCache(db);
  const llm = task.mode === 'fast' ? undefined : await connectLlm(task.llm);
  try {
    const { stats } = await runJob({
      inputPath: task.inputPath,
      read: { textColumn: task.textColumn },
      mode: task.mode,
      classifier: localClassifier(task.modelPath),
      llm,
      db,
      cache,
      storeRows: true,
      runId: task.runId,
      inputName: task.inputName,
      onProgress: (progress: JobProgress) => task.port.postMessage(progress),
    });
    return stats;
  } finally {
    task.port.close();
  }
}

export async function classifyTweets(task: ClassifyTask): Promise<OutputRecord[]> {
  const pipeline = createPipeline({ mode: 'fast', classifier: localClassifier(task.modelPath) });
  const records: OutputRecord[] = [];
  for await (const row of pipeline.run(task.rows)) records.push(toOutputRecord(row));
  return records;
}

export async function retrainModel(task: ModelTask & { trainingData: string }): Promise<{ model: RegisteredModel; verdict: Verdict }> {
  db ??= openDatabase(task.dataDir, () => undefined);
  return retrain(sqliteSql(db), new ModelRegistry(task.dataDir), { trainingData: task.trainingData, margin: task.margin });
}

export async function judgeModel(task: ModelTask & { id: string }): Promise<{ comparisons: Comparison[]; verdict: Verdict }> {
  db ??= openDatabase(task.dataDir, () => undefined);
  const registry = new ModelRegistry(task.dataDir);
  return judge(sqliteSql(db), registry, registry.pathOf(registry.get(task.id).id), task.trainingData === undefined ? undefined : trainingSources(task.trainingData).dev, task.margin);
}
