/** `fmc train` and `fmc evaluate`: the embedded model's training and its report card. */
import { readFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { loadClassifier } from '../classify/index.js';
import { saveModel, sha256 } from '../classify/model.js';
import { LABEL_NAMES } from '../labels.js';
import { modelCard } from '../train/card.js';
import { evaluate, type EvaluationReport } from '../train/metrics.js';
import { DEFAULT_TRAIN_OPTIONS, readLabelled, train, type Example } from '../train/train.js';

const TrainOptions = z.object({
  train: z.string().min(1),
  dev: z.string().min(1).optional(),
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

export async function trainCommand(rawOptions: unknown): Promise<void> {
  const options = TrainOptions.parse(rawOptions);
  const examples = await readLabelled(options.train, warn);
  if (examples.length === 0) throw new Error(`${options.train}: no labelled rows to train on`);
  const name = basename(options.out).replace(/\.fmcmodel$/, '');
  const modelPath = `${options.out.replace(/\.fmcmodel$/, '')}.fmcmodel`;
  const started = performance.now();
  const model = train(name, examples, { ...DEFAULT_TRAIN_OPTIONS, seed: options.seed }, {
    trainFile: basename(options.train),
    trainSha256: sha256(await readFile(options.train)),
    devFile: options.dev === undefined ? undefined : basename(options.dev),
  });
  await mkdir(dirname(modelPath), { recursive: true });
  await saveModel(modelPath, model);
  process.stderr.write(`trained on ${examples.length} tweets in ${((performance.now() - started) / 1000).toFixed(1)} s → ${modelPath}\n`);
  const dev = options.dev === undefined ? undefined : scoreExamples(await readLabelled(options.dev, warn), modelPath);
  const cardPath = modelPath.replace(/\.fmcmodel$/, '.md');
  await writeFile(cardPath, modelCard(model.header, (await stat(modelPath)).size, dev, new Date().toISOString().slice(0, 10)));
  if (dev !== undefined) process.stderr.write(`dev: mean macro-F1 ${dev.meanMacroF1}, ECE ${dev.ece}; model card ${cardPath}\n`);
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
