/** `fmc train` and `fmc evaluate`: the embedded model's training and its report card. */
import { readFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { loadClassifier } from '../classify/index.js';
import { saveModel, sha256 } from '../classify/model.js';
import { LABEL_NAMES } from '../labels.js';
import { modelCard } from '../train/card.js';
import { evaluate, type EvaluationReport } from '../train/metrics.js';
import { crossValidate, DEFAULT_TRAIN_OPTIONS, readLabelled, summarise, train, labelWeights, type Example, type LabelWeights, type Origin, type TrainOptions } from '../train/train.js';
import { UsageError } from './errors.js';

/** `0.5` (every label) or `0.5,is_claim=0.2` (then per label). */
const LabelWeightsFlag = z.string().transform((flag, context): LabelWeights => {
  const [all, ...overrides] = flag.split(',');
  const weight = (text: string | undefined): number => (text !== undefined && /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : Number.NaN);
  const perLabel: Record<string, string | undefined> = Object.fromEntries(overrides.map((override) => override.split('=').map((part) => part.trim())));
  const result = labelWeights(weight(all), Object.fromEntries(Object.entries(perLabel).map(([label, value]) => [label, weight(value)])));
  const wrong = Object.keys(perLabel).filter((label) => !(LABEL_NAMES as string[]).includes(label));
  if (wrong.length > 0 || Object.values(result).some(Number.isNaN)) {
    context.addIssue({ code: 'custom', message: `"${flag}": expected a weight such as 0.5, optionally followed by label=weight pairs (${LABEL_NAMES.join(', ')})` });
  }
  return result;
});

const TrainOptions = z.object({
  train: z.string().min(1),
  paraphrases: z.string().min(1).optional(),
  written: z.string().min(1).optional(),
  paraphraseWeight: LabelWeightsFlag.default(DEFAULT_TRAIN_OPTIONS.originWeights.paraphrase),
  writtenWeight: LabelWeightsFlag.default(DEFAULT_TRAIN_OPTIONS.originWeights.written),
  dev: z.string().min(1).optional(),
  includeDev: z.boolean().default(false),
  out: z.string().min(1),
  seed: z.coerce.number().int().default(DEFAULT_TRAIN_OPTIONS.seed),
});

const EvaluateOptions = z.object({
  data: z.string().min(1),
  model: z.string().min(1).optional(),
  json: z.boolean().default(false),
});

function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

function scoreExamples(examples: readonly Example[], modelPath?: string): EvaluationReport {
  const classifier = loadClassifier(modelPath);
  return evaluate(examples.map((example) => example.gold), examples.map((example) => classifier.classify(example.input)));
}

/** A labelled file and what the model card says of it. */
async function readSource(path: string, origin: Origin): Promise<{ examples: Example[]; file: { name: string; sha256: string; rows: number } }> {
  const examples = await readLabelled(path, warn, origin);
  return { examples, file: { name: basename(path), sha256: sha256(await readFile(path)).slice(0, 16), rows: examples.length } };
}

export async function trainCommand(rawOptions: unknown): Promise<void> {
  const options = TrainOptions.parse(rawOptions);
  if (options.includeDev && options.dev === undefined) throw new UsageError('--include-dev needs --dev');
  const sources = [
    await readSource(options.train, 'real'),
    ...(options.paraphrases === undefined ? [] : [await readSource(options.paraphrases, 'paraphrase')]),
    ...(options.written === undefined ? [] : [await readSource(options.written, 'written')]),
  ];
  const examples = sources.flatMap((source) => source.examples);
  if (!examples.some((example) => example.origin === 'real')) throw new Error(`${options.train}: no labelled rows to train on`);
  const dev = options.dev === undefined ? undefined : await readSource(options.dev, 'real');
  const name = basename(options.out).replace(/\.fmcmodel$/, '');
  const modelPath = `${options.out.replace(/\.fmcmodel$/, '')}.fmcmodel`;
  const trainOptions: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, seed: options.seed, originWeights: { paraphrase: options.paraphraseWeight, written: options.writtenWeight } };
  const info = { files: sources.map((source) => source.file), devFile: dev?.file };
  const started = performance.now();
  const seconds = (): string => ((performance.now() - started) / 1000).toFixed(1);
  const say = (message: string): boolean => process.stderr.write(`${message}\n`);

  const trained = train(name, examples, trainOptions, info);
  say(`trained on ${examples.length} tweets in ${seconds()} s; cross-validation on the real tweets: mean macro-F1 ${trained.crossValidation.meanMacroF1}`);
  // What the paraphrases and written tweets add, measured on the same real folds.
  const realOnly = sources.length === 1 ? undefined : summarise(crossValidate(examples.filter((example) => example.origin === 'real'), trainOptions).report);
  if (realOnly !== undefined) say(`cross-validation trained on the real tweets only: ${realOnly.meanMacroF1}`);
  await mkdir(dirname(modelPath), { recursive: true });
  await saveModel(modelPath, trained.model);
  const devReport = dev === undefined ? undefined : scoreExamples(dev.examples, modelPath);
  if (devReport !== undefined) say(`dev: mean macro-F1 ${devReport.meanMacroF1}, ECE ${devReport.ece}`);
  let shipped = trained.model;
  if (options.includeDev && dev !== undefined) {
    // Settings are fixed and dev is reported: the shipped weights learn from dev's real tweets too.
    shipped = train(name, [...examples, ...dev.examples], trainOptions, { ...info, devIncluded: true }).model;
    await saveModel(modelPath, shipped);
    say(`retrained on train + dev (${examples.length + dev.examples.length} tweets) in ${seconds()} s`);
  }
  const cardPath = modelPath.replace(/\.fmcmodel$/, '.md');
  const card = { devReport, realOnly, trainedWithoutDev: trained.model.header };
  await writeFile(cardPath, modelCard(shipped.header, (await stat(modelPath)).size, card, new Date().toISOString().slice(0, 10)));
  say(`${modelPath} and its model card ${cardPath}, ${seconds()} s`);
}

const pad = (text: string | number, width: number): string => String(text).padStart(width);

function formatReport(report: EvaluationReport): string {
  const lines = [`${report.examples} tweets · mean macro-F1 ${report.meanMacroF1} · ECE ${report.ece} · consistency ${report.consistency}`];
  for (const label of LABEL_NAMES) {
    const { macroF1, accuracy, classes, confusion } = report.labels[label];
    const values = Object.keys(classes);
    const width = Math.max(...values.map((value) => value.length), 9);
    lines.push('', `${label}: macro-F1 ${macroF1} · accuracy ${accuracy}`);
    lines.push(`  ${'value'.padEnd(width)} precision    recall        f1   support`);
    for (const value of values) {
      const figures = classes[value];
      if (figures === undefined) continue;
      lines.push(`  ${value.padEnd(width)} ${pad(figures.precision.toFixed(3), 9)} ${pad(figures.recall.toFixed(3), 9)} ${pad(figures.f1.toFixed(3), 9)} ${pad(figures.support, 9)}`);
    }
    lines.push(`  confusion (rows gold, columns predicted: ${values.map((value) => value.slice(0, 6)).join(' ')})`);
    confusion.forEach((row, i) => lines.push(`  ${(values[i] ?? '').padEnd(width)} ${row.map((count) => pad(count, 6)).join(' ')}`));
  }
  return `${lines.join('\n')}\n`;
}

export async function evaluateCommand(rawOptions: unknown): Promise<void> {
  const options = EvaluateOptions.parse(rawOptions);
  const report = scoreExamples(await readLabelled(options.data, warn), options.model);
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatReport(report));
}
