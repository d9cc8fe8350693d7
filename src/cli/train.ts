/** `fmc train` and `fmc evaluate`: the embedded model's training and its report card. */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { loadClassifier } from '../classify/index.js';
import { saveModel } from '../classify/model.js';
import { LABEL_NAMES } from '../labels.js';
import type { EvaluationReport } from '../train/metrics.js';
import { scoreClassifier, trainFromFiles } from '../train/run.js';
import { DEFAULT_TRAIN_OPTIONS, readLabelled, labelWeights, type LabelWeights } from '../train/train.js';
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
  extra: z.array(z.string().min(1)).default([]),
  paraphraseWeight: LabelWeightsFlag.default(DEFAULT_TRAIN_OPTIONS.originWeights.paraphrase),
  writtenWeight: LabelWeightsFlag.default(DEFAULT_TRAIN_OPTIONS.originWeights.written),
  extraWeight: LabelWeightsFlag.default(DEFAULT_TRAIN_OPTIONS.originWeights.extra),
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

export async function trainCommand(rawOptions: unknown): Promise<void> {
  const options = TrainOptions.parse(rawOptions);
  if (options.includeDev && options.dev === undefined) throw new UsageError('--include-dev needs --dev');
  const name = basename(options.out).replace(/\.fmcmodel$/, '');
  const modelPath = `${options.out.replace(/\.fmcmodel$/, '')}.fmcmodel`;
  const started = performance.now();
  const say = (message: string): boolean => process.stderr.write(`${message}\n`);
  const { model, card } = await trainFromFiles(options, {
    name,
    options: { ...DEFAULT_TRAIN_OPTIONS, seed: options.seed, originWeights: { paraphrase: options.paraphraseWeight, written: options.writtenWeight, extra: options.extraWeight } },
    includeDev: options.includeDev,
    compareRealOnly: true,
    say,
    warn,
  });
  await mkdir(dirname(modelPath), { recursive: true });
  await saveModel(modelPath, model);
  const cardPath = modelPath.replace(/\.fmcmodel$/, '.md');
  await writeFile(cardPath, card);
  say(`${modelPath} and its model card ${cardPath}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
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
  const report = scoreClassifier(loadClassifier(options.model), await readLabelled(options.data, warn));
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatReport(report));
}
