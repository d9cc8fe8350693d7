/** Evaluation: per-label macro-F1, accuracy, per-class figures, confusion matrices, and the ECE of `confidence`. */
import { isConsistent, LABEL_NAMES, LABEL_VALUES, type LabelName, type Labels } from '../labels.js';
import type { GoldLabels } from './train.js';

export interface ClassFigures {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface LabelReport {
  macroF1: number;
  accuracy: number;
  classes: Record<string, ClassFigures>;
  /** confusion[gold][predicted] = count, in LABEL_VALUES order. */
  confusion: number[][];
}

export interface EvaluationReport {
  examples: number;
  labels: Record<LabelName, LabelReport>;
  meanMacroF1: number;
  /** Expected calibration error of `confidence` against the share of right labels per tweet, 10 equal bins. */
  ece: number;
  /** Share of predictions that obey LABELS.md's rules. */
  consistency: number;
}

const round = (value: number): number => Math.round(value * 10000) / 10000;

export function labelReport(label: LabelName, gold: readonly string[], predicted: readonly string[]): LabelReport {
  const values = LABEL_VALUES[label] as readonly string[];
  const confusion = values.map(() => values.map(() => 0));
  gold.forEach((g, i) => {
    const row = confusion[values.indexOf(g)];
    const column = values.indexOf(predicted[i] as string);
    if (row !== undefined && column >= 0) row[column] = (row[column] as number) + 1;
  });
  const classes: Record<string, ClassFigures> = {};
  let f1Sum = 0;
  values.forEach((value, v) => {
    const truePositives = confusion[v]?.[v] ?? 0;
    const predictedCount = confusion.reduce((sum, row) => sum + (row[v] as number), 0);
    const support = (confusion[v] ?? []).reduce((sum, count) => sum + count, 0);
    const precision = predictedCount === 0 ? 0 : truePositives / predictedCount;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    f1Sum += f1;
    classes[value] = { precision: round(precision), recall: round(recall), f1: round(f1), support };
  });
  const right = gold.filter((g, i) => g === predicted[i]).length;
  return { macroF1: round(f1Sum / values.length), accuracy: round(gold.length === 0 ? 0 : right / gold.length), classes, confusion };
}

export function expectedCalibrationError(confidences: readonly number[], correctness: readonly number[], bins = 10): number {
  const sums = Array.from({ length: bins }, () => ({ confidence: 0, correct: 0, count: 0 }));
  confidences.forEach((confidence, i) => {
    const bin = sums[Math.min(bins - 1, Math.floor(confidence * bins))] as { confidence: number; correct: number; count: number };
    bin.confidence += confidence;
    bin.correct += correctness[i] as number;
    bin.count++;
  });
  const total = confidences.length;
  return round(sums.reduce((ece, bin) => (bin.count === 0 ? ece : ece + (bin.count / total) * Math.abs(bin.confidence / bin.count - bin.correct / bin.count)), 0));
}

export function evaluate(gold: readonly GoldLabels[], predicted: readonly Labels[]): EvaluationReport {
  const labels = Object.fromEntries(
    LABEL_NAMES.map((label) => [label, labelReport(label, gold.map((g) => g[label]), predicted.map((p) => p[label]))]),
  ) as Record<LabelName, LabelReport>;
  const correctness = predicted.map((p, i) => LABEL_NAMES.filter((label) => p[label] === gold[i]?.[label]).length / LABEL_NAMES.length);
  const consistent = predicted.filter(isConsistent).length;
  return {
    examples: gold.length,
    labels,
    meanMacroF1: round(LABEL_NAMES.reduce((sum, label) => sum + labels[label].macroF1, 0) / LABEL_NAMES.length),
    ece: expectedCalibrationError(predicted.map((p) => p.confidence), correctness),
    consistency: round(predicted.length === 0 ? 1 : consistent / predicted.length),
  };
}
