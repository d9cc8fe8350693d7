/**
 * Retraining with the care team's corrections: the training data (the files
 * the shipped model learnt from) plus the corrections that are not held out,
 * registered with the comparison against the default; and promotion, which
 * judges a model against the default of the moment before making it the default.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL_PATH } from '../classify/index.js';
import { loadModel, saveModel } from '../classify/model.js';
import type { Sql } from '../store/sql.js';
import { trainFromFiles, type TrainingSources } from '../train/run.js';
import { DEFAULT_TRAIN_OPTIONS, readLabelled, type Example, type LabelWeights } from '../train/train.js';
import { isHeldOut, latestCorrections, writeJsonl } from './corrections.js';
import { compareModels, comparisonTable, DEFAULT_MARGIN, verdict, type Comparison, type Verdict } from './guard.js';
import type { ModelRegistry, RegisteredModel } from './registry.js';

/** The files of a training-data directory, by the names the project's data uses. */
export function trainingSources(directory: string): TrainingSources {
  const file = (name: string): string | undefined => (existsSync(join(directory, name)) ? join(directory, name) : undefined);
  const train = file('train.jsonl');
  if (train === undefined) throw new Error(`${directory}: no train.jsonl (the real labelled tweets to train on)`);
  return { train, paraphrases: file('paraphrases.jsonl'), written: file('synthetic.jsonl'), dev: file('dev.jsonl') };
}

export interface RetrainSettings {
  /** A directory with train.jsonl, and paraphrases.jsonl, synthetic.jsonl, dev.jsonl when there are. */
  trainingData: string;
  extraWeight?: LabelWeights;
  margin?: number;
  say?: (message: string) => void;
}

/** The held-out corrections, as examples, and the rest written to `trainPath` for training. */
async function splitCorrections(sql: Sql, directory: string): Promise<{ heldOut: Example[]; trainPath: string; trained: number }> {
  const { examples } = await latestCorrections(sql);
  const trainPath = join(directory, 'corrections-train.jsonl');
  const heldOutPath = join(directory, 'corrections-held-out.jsonl');
  const trained = examples.filter((example) => !isHeldOut(example.text));
  await writeJsonl(trainPath, trained);
  await writeJsonl(heldOutPath, examples.filter((example) => isHeldOut(example.text)));
  return { heldOut: await readLabelled(heldOutPath), trainPath, trained: trained.length };
}

type Judgement = { comparisons: Comparison[]; verdict: Verdict };

/** The candidate against the default on `heldOut` and dev, and whether it may be promoted. */
async function judgeOn(heldOut: readonly Example[], registry: ModelRegistry, candidatePath: string, devPath: string | undefined, margin = DEFAULT_MARGIN): Promise<Judgement> {
  // The shipped model learnt from dev once it was reported (--include-dev): dev cannot judge it.
  const currentPath = registry.currentPath();
  const devSeen = loadModel(currentPath ?? DEFAULT_MODEL_PATH).header.training.devIncluded === true;
  const sets = [
    { name: 'held-out corrections', examples: heldOut },
    ...(devPath === undefined ? [] : [{ name: 'dev', examples: await readLabelled(devPath), notJudgedBecause: devSeen ? 'the default was trained on it' : undefined }]),
  ];
  const comparisons = compareModels(currentPath, candidatePath, sets, margin);
  return { comparisons, verdict: verdict(comparisons, margin) };
}

/** The candidate against the default on the held-out corrections of the moment and dev, and whether it may be promoted. */
export async function judge(sql: Sql, registry: ModelRegistry, candidatePath: string, devPath: string | undefined, margin = DEFAULT_MARGIN): Promise<Judgement> {
  const directory = await mkdtemp(join(tmpdir(), 'fmc-judge-'));
  try {
    return await judgeOn((await splitCorrections(sql, directory)).heldOut, registry, candidatePath, devPath, margin);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

export async function retrain(sql: Sql, registry: ModelRegistry, settings: RetrainSettings): Promise<{ model: RegisteredModel; verdict: Verdict }> {
  const sources = trainingSources(settings.trainingData);
  const directory = await mkdtemp(join(tmpdir(), 'fmc-retrain-'));
  try {
    const corrections = await splitCorrections(sql, directory);
    const say = settings.say ?? (() => undefined);
    say(`${corrections.trained} corrected tweets to train on, ${corrections.heldOut.length} held out`);
    const { model, card } = await trainFromFiles(
      { ...sources, extra: [corrections.trainPath] },
      { name: 'care-team', options: { ...DEFAULT_TRAIN_OPTIONS, originWeights: { ...DEFAULT_TRAIN_OPTIONS.originWeights, extra: settings.extraWeight ?? DEFAULT_TRAIN_OPTIONS.originWeights.extra } }, say },
    );
    const candidatePath = join(directory, 'candidate.fmcmodel');
    await saveModel(candidatePath, model);
    const judged = await judgeOn(corrections.heldOut, registry, candidatePath, sources.dev, settings.margin);
    const { files, examples, real, paraphrases, written } = model.header.training;
    const against = `## Against the default of ${new Date().toISOString().slice(0, 10)}\n\n${comparisonTable(judged.comparisons)}\n\n${judged.verdict.promotable ? 'Promotable' : 'Not promotable'}: ${judged.verdict.reason}.\n`;
    const registered = await registry.register(model, `${card}\n${against}`, {
      trainedOn: { files, examples, real, paraphrases, written, corrections: corrections.trained, heldOutCorrections: corrections.heldOut.length },
      evaluation: judged.comparisons,
    });
    return { model: registered, verdict: judged.verdict };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
