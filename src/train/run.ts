/**
 * A training run from labelled files, as `fmc train` and the registry's
 * retraining both do it: read the sources, train, report on dev, write the
 * model card. Deterministic for a given seed.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createModelClassifier, encodeModel, sha256, type Model } from '../classify/model.js';
import type { TweetClassifier } from '../classify/types.js';
import { modelCard } from './card.js';
import { evaluate, type EvaluationReport } from './metrics.js';
import { crossValidate, readLabelled, summarise, train, type Example, type Origin, type TrainOptions } from './train.js';

export interface TrainingSources {
  /** Real labelled tweets: trained on and cross-validated. */
  train: string;
  paraphrases?: string | undefined;
  written?: string | undefined;
  /** Tweets labelled by people after the fact (corrections exported by `fmc feedback export`). */
  extra?: readonly string[] | undefined;
  /** Real tweets reported on, never trained on unless `includeDev`. */
  dev?: string | undefined;
}

export interface TrainingSettings {
  name: string;
  options: TrainOptions;
  includeDev?: boolean;
  /** Cross-validates the same settings on the real tweets alone too, for the card (doubles the time). */
  compareRealOnly?: boolean;
  say?: (message: string) => void;
  warn?: (message: string) => void;
}

export interface TrainedModel {
  model: Model;
  card: string;
  devReport: EvaluationReport | undefined;
}

/** The figures of a classifier on labelled examples. */
export function scoreClassifier(classifier: TweetClassifier, examples: readonly Example[]): EvaluationReport {
  return evaluate(examples.map((example) => example.gold), examples.map((example) => classifier.classify(example.input)));
}

/** A labelled file and what the model card says of it. */
async function readSource(path: string, origin: Origin, warn: (message: string) => void): Promise<{ examples: Example[]; file: { name: string; sha256: string; rows: number } }> {
  const examples = await readLabelled(path, warn, origin);
  return { examples, file: { name: basename(path), sha256: sha256(await readFile(path)).slice(0, 16), rows: examples.length } };
}

export async function trainFromFiles(sources: TrainingSources, settings: TrainingSettings): Promise<TrainedModel> {
  const say = settings.say ?? (() => undefined);
  const warn = settings.warn ?? (() => undefined);
  const started = performance.now();
  const seconds = (): string => ((performance.now() - started) / 1000).toFixed(1);
  const read = [
    await readSource(sources.train, 'real', warn),
    ...(sources.paraphrases === undefined ? [] : [await readSource(sources.paraphrases, 'paraphrase', warn)]),
    ...(sources.written === undefined ? [] : [await readSource(sources.written, 'written', warn)]),
    ...(await Promise.all((sources.extra ?? []).map((path) => readSource(path, 'extra', warn)))),
  ];
  const examples = read.flatMap((source) => source.examples);
  if (!examples.some((example) => example.origin === 'real')) throw new Error(`${sources.train}: no labelled rows to train on`);
  const dev = sources.dev === undefined ? undefined : await readSource(sources.dev, 'real', warn);
  const info = { files: read.map((source) => source.file), devFile: dev?.file };

  const trained = train(settings.name, examples, settings.options, info);
  say(`trained on ${examples.length} tweets in ${seconds()} s; cross-validation on the real tweets: mean macro-F1 ${trained.crossValidation.meanMacroF1}`);
  // What the other kinds of tweets add, measured on the same real folds.
  const realOnly = settings.compareRealOnly === true && read.length > 1 ? summarise(crossValidate(examples.filter((example) => example.origin === 'real'), settings.options).report) : undefined;
  if (realOnly !== undefined) say(`cross-validation trained on the real tweets only: ${realOnly.meanMacroF1}`);
  const devReport = dev === undefined ? undefined : scoreClassifier(createModelClassifier(trained.model), dev.examples);
  if (devReport !== undefined) say(`dev: mean macro-F1 ${devReport.meanMacroF1}, ECE ${devReport.ece}`);
  let model = trained.model;
  if (settings.includeDev === true && dev !== undefined) {
    // Settings are fixed and dev is reported: the shipped weights learn from dev's real tweets too.
    model = train(settings.name, [...examples, ...dev.examples], settings.options, { ...info, devIncluded: true }).model;
    say(`retrained on train + dev (${examples.length + dev.examples.length} tweets) in ${seconds()} s`);
  }
  const card = modelCard(model.header, encodeModel(model).length, { devReport, realOnly, trainedWithoutDev: trained.model.header }, new Date().toISOString().slice(0, 10));
  return { model, card, devReport };
}
