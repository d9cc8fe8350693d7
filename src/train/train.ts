/**
 * Training the embedded model: softmax regressions (AdaGrad, L2, class
 * weights for rare values), deterministic for a given seed. Calibration is
 * learned on out-of-fold predictions of the training set, never on dev:
 * a temperature per label, then an isotonic map to the share of right labels.
 */
import { cleanTweet } from '../clean/index.js';
import { DEFAULT_FEATURE_CONFIG, extractFeatures, type FeatureConfig, type SparseFeatures } from '../classify/features.js';
import { bestActionChoice, bestValue, calibrate as calibrateConfidence, computeLogits, decode, quantizeWeights, sha256, softmaxPerLabel, type LogitAdjustment, type Model, type ModelHeader, type QuantizedWeights } from '../classify/model.js';
import type { ClassifierInput } from '../classify/types.js';
import { openInput } from '../ingest/index.js';
import { FIRST_SLOT, LABEL_NAMES, LABEL_VALUES, SLOT_COUNT, type LabelName, type Labels } from '../labels.js';
import { seededRandom } from '../random.js';
import { evaluate, type EvaluationReport } from './metrics.js';

export type GoldLabels = Omit<Labels, 'confidence'>;

/**
 * Where a labelled tweet comes from. Only real tweets are ever validated on:
 * a written tweet is composed for training, and a paraphrase rewords a real
 * tweet, so it trains only where its source does. An extra tweet (labelled by
 * people after the fact: the care team's corrections) trains like a written one.
 */
export type Origin = 'real' | 'paraphrase' | 'written' | 'extra';

export interface Example {
  id: string;
  input: ClassifierInput;
  gold: GoldLabels;
  origin: Origin;
  /** The real tweet a paraphrase rewords. */
  sourceId?: string | undefined;
}

export type LabelWeights = Record<LabelName, number>;

/** The same weight for every label, then the given ones. */
export function labelWeights(weight: number, overrides: Partial<LabelWeights> = {}): LabelWeights {
  return { ...(Object.fromEntries(LABEL_NAMES.map((label) => [label, weight])) as LabelWeights), ...overrides };
}

export interface TrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  /** Class weight = (share of the class)^-power: 0 is unweighted, 1 fully balanced. */
  classWeightPower: number;
  /** Fits with different shuffles whose weights are averaged: less variance, same size (CV on train: 0.668 → 0.674 with 3). */
  averagedFits: number;
  /**
   * Share of the shipped weights that is the mean of the calibration folds'
   * fits, each on 1 − 1/folds of the data (bagging); the rest is the fit on
   * all of it. 0.5 against 0: 4-fold CV on train 0.676 → 0.681 and 0.671 → 0.675
   * on two pairs of fold splits, no label lower by more than 0.001 (0.75 and 1 on the first pair: 0.680).
   */
  foldShare: number;
  folds: number;
  seed: number;
  features: FeatureConfig;
  /** Weight of a paraphrase and of a written tweet in the loss of each label, against 1 for a real tweet. */
  originWeights: Record<Exclude<Origin, 'real'>, LabelWeights>;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  epochs: 8,
  learningRate: 0.5,
  l2: 3e-4,
  classWeightPower: 0.5,
  averagedFits: 3,
  foldShare: 0.5,
  folds: 5,
  seed: 42,
  features: DEFAULT_FEATURE_CONFIG,
  // 5-fold CV on the real tweets (one fit per fold), character 3–5-grams: real only 0.695; + paraphrases 0.709; + written 0.697;
  // + both at 1: 0.711, at 0.5: 0.707, at 0.3: 0.710; paraphrases 1 and written 0.5: 0.707; written 2 for sentiment: 0.712 (3–4-grams).
  // Differences under 0.005 are noise (a fold split moves them as much): equal weights are kept.
  originWeights: { paraphrase: labelWeights(1), written: labelWeights(1), extra: labelWeights(1) },
};

const ORIGIN_OF_SOURCE: Record<string, Origin> = { paraphrase: 'paraphrase', written: 'written' };

/**
 * Labelled rows of any input format; rows whose labels are missing or not in
 * LABELS.md are skipped and reported. A row's `source` field (`paraphrase`,
 * `written`) names its origin, else `origin`; `source_id` names a paraphrase's source.
 */
export async function readLabelled(path: string, onSkip: (message: string) => void = () => undefined, origin: Origin = 'real'): Promise<Example[]> {
  const input = await openInput(path, { onProblem: (problem) => onSkip(`${problem.file}:${problem.line}: ${problem.message}`) });
  const examples: Example[] = [];
  for await (const row of input.rows) {
    if (row.error !== undefined) continue;
    const gold: Partial<Record<LabelName, string>> = {};
    const wrong = LABEL_NAMES.filter((label) => {
      const value = row.fields[label];
      gold[label] = typeof value === 'string' ? value : undefined;
      return !(LABEL_VALUES[label] as readonly string[]).includes(gold[label] ?? '');
    });
    if (wrong.length > 0) {
      onSkip(`${input.name}:${row.line}: skipped, no valid ${wrong.join(', ')}`);
      continue;
    }
    const text = (name: string): string | undefined => (typeof row.fields[name] === 'string' ? (row.fields[name] as string) : undefined);
    examples.push({
      id: row.id,
      input: { tweet: cleanTweet(row.text), author: text('author') },
      gold: gold as GoldLabels,
      origin: ORIGIN_OF_SOURCE[text('source') ?? ''] ?? origin,
      sourceId: text('source_id'),
    });
  }
  return examples;
}

interface Encoded {
  features: SparseFeatures;
  /** Index of the gold value of each label, in LABEL_NAMES order. */
  gold: number[];
  /** Weight of the example in the loss of each label, in LABEL_NAMES order (its origin's). */
  weights: number[];
}

/** extractFeatures reuses its buffers: training keeps every example's. */
function copyFeatures({ buckets, values }: SparseFeatures): SparseFeatures {
  return { buckets: buckets.slice(), values: values.slice() };
}

function encode(examples: readonly Example[], options: TrainOptions): Encoded[] {
  return examples.map(({ input, gold, origin }) => ({
    features: copyFeatures(extractFeatures(input, options.features)),
    gold: LABEL_NAMES.map((label) => (LABEL_VALUES[label] as readonly string[]).indexOf(gold[label])),
    weights: LABEL_NAMES.map((label) => (origin === 'real' ? 1 : options.originWeights[origin][label])),
  }));
}

/** Marks examples that are in every training fold and never validated on. */
export const ALWAYS_TRAINED = -1;

/**
 * The cross-validation fold of each example: real tweets are dealt at random
 * (seeded), a paraphrase follows its source tweet (so no rewording of a
 * validated tweet is trained on), and written tweets, like paraphrases of
 * tweets that are not here, are in every training fold and no validation fold.
 */
export function assignFolds(examples: readonly Example[], folds: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const foldOf = new Int32Array(examples.length).fill(ALWAYS_TRAINED);
  const foldOfReal = new Map<string, number>();
  examples.forEach((example, i) => {
    if (example.origin !== 'real') return;
    foldOf[i] = Math.floor(random() * folds);
    foldOfReal.set(example.id, foldOf[i] as number);
  });
  examples.forEach((example, i) => {
    if (example.origin === 'paraphrase') foldOf[i] = foldOfReal.get(example.sourceId ?? '') ?? ALWAYS_TRAINED;
  });
  return foldOf;
}

function classWeights(data: readonly Encoded[], power: number): Float64Array {
  const counts = new Float64Array(SLOT_COUNT);
  const totals = new Float64Array(LABEL_NAMES.length);
  for (const { gold, weights } of data) {
    LABEL_NAMES.forEach((label, i) => {
      const slot = FIRST_SLOT[label] + (gold[i] as number);
      counts[slot] = (counts[slot] as number) + (weights[i] as number);
      totals[i] = (totals[i] as number) + (weights[i] as number);
    });
  }
  const weights = new Float64Array(SLOT_COUNT);
  for (const [l, label] of LABEL_NAMES.entries()) {
    const k = LABEL_VALUES[label].length;
    for (let v = 0; v < k; v++) {
      const share = Math.max(counts[FIRST_SLOT[label] + v] as number, 1) / (totals[l] as number);
      weights[FIRST_SLOT[label] + v] = (share * k) ** -power;
    }
  }
  return weights;
}

/** Σ share × table, element by element: the mean of several fits, or a blend of them. */
function blend(parts: ReadonlyArray<{ table: Float32Array; share: number }>): Float32Array {
  const result = new Float32Array((parts[0] as { table: Float32Array }).table.length);
  for (let i = 0; i < result.length; i++) {
    let sum = 0;
    for (const { table, share } of parts) sum += share * (table[i] as number);
    result[i] = sum;
  }
  return result;
}

/** The mean of `averagedFits` fits, each with its own seed for the shuffles. */
function fitAveraged(data: readonly Encoded[], options: TrainOptions): Float32Array {
  return blend(Array.from({ length: options.averagedFits }, (_, run) => ({ table: fit(data, { ...options, seed: options.seed + 1000 * run }), share: 1 / options.averagedFits })));
}

function fit(data: readonly Encoded[], options: TrainOptions): Float32Array {
  const size = 2 ** options.features.hashBits * SLOT_COUNT;
  const weights = new Float32Array(size);
  const squaredGradients = new Float32Array(size).fill(1e-8);
  const weightOfClass = classWeights(data, options.classWeightPower);
  const random = seededRandom(options.seed);
  const order = data.map((_, i) => i);
  const gradient = new Float64Array(SLOT_COUNT);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (const index of order) {
      const { features, gold, weights: exampleWeights } = data[index] as Encoded;
      const probabilities = softmaxPerLabel(computeLogits(weights, features));
      LABEL_NAMES.forEach((label, l) => {
        const first = FIRST_SLOT[label];
        const goldSlot = first + (gold[l] as number);
        const weight = (exampleWeights[l] as number) * (weightOfClass[goldSlot] as number);
        for (let v = 0; v < LABEL_VALUES[label].length; v++) {
          gradient[first + v] = weight * ((probabilities[first + v] as number) - (first + v === goldSlot ? 1 : 0));
        }
      });
      for (let i = 0; i < features.buckets.length; i++) {
        const row = (features.buckets[i] as number) * SLOT_COUNT;
        const value = features.values[i] as number;
        for (let slot = 0; slot < SLOT_COUNT; slot++) {
          const at = row + slot;
          const g = value * (gradient[slot] as number) + options.l2 * (weights[at] as number);
          squaredGradients[at] = (squaredGradients[at] as number) + g * g;
          weights[at] = (weights[at] as number) - (options.learningRate * g) / Math.sqrt(squaredGradients[at] as number);
        }
      }
    }
  }
  return weights;
}

const TEMPERATURES = Array.from({ length: 60 }, (_, i) => Math.round((0.25 * 1.07 ** i) * 1000) / 1000);
const BIAS_STEPS = Array.from({ length: 41 }, (_, i) => Math.round((i - 20) * 0.1 * 10) / 10);

/** The temperature per label that minimises the negative log-likelihood of out-of-fold logits. */
function fitTemperatures(logits: readonly Float64Array[], data: readonly Encoded[]): Record<LabelName, number> {
  const biases: number[] = new Array<number>(SLOT_COUNT).fill(0);
  const result = {} as Record<LabelName, number>;
  for (const [l, label] of LABEL_NAMES.entries()) {
    let best = { temperature: 1, loss: Infinity };
    for (const temperature of TEMPERATURES) {
      const temperatures = { [label]: temperature } as Record<LabelName, number>;
      let loss = 0;
      data.forEach((example, i) => {
        const probabilities = softmaxPerLabel(logits[i] as Float64Array, { temperatures, biases });
        loss -= Math.log(Math.max(probabilities[FIRST_SLOT[label] + (example.gold[l] as number)] as number, 1e-12));
      });
      if (loss < best.loss) best = { temperature, loss };
    }
    result[label] = best.temperature;
  }
  return result;
}

/** Macro-F1 of one label from value indices, as labelReport computes it (without its strings: bias fitting calls it thousands of times). */
function macroF1OfIndices(valueCount: number, gold: Int32Array, predicted: Int32Array): number {
  const truePositives = new Float64Array(valueCount);
  const predictedCount = new Float64Array(valueCount);
  const support = new Float64Array(valueCount);
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i] as number;
    const p = predicted[i] as number;
    support[g] = (support[g] as number) + 1;
    predictedCount[p] = (predictedCount[p] as number) + 1;
    if (g === p) truePositives[g] = (truePositives[g] as number) + 1;
  }
  let sum = 0;
  for (let v = 0; v < valueCount; v++) {
    const tp = truePositives[v] as number;
    if (tp > 0) sum += (2 * tp) / ((predictedCount[v] as number) + (support[v] as number));
  }
  return sum / valueCount;
}

const JOINTLY_DECODED: ReadonlySet<LabelName> = new Set(['is_claim', 'incident', 'urgence']);

/**
 * Per-value biases that maximise each label's out-of-fold macro-F1 (coordinate
 * ascent, two passes). A bias moves off zero only for a clear gain, so noise
 * in a few rare examples does not tilt the model. Only the softmax of the
 * label being tuned is recomputed at each step.
 */
function fitBiases(logits: readonly Float64Array[], data: readonly Encoded[], temperatures: Record<LabelName, number>): number[] {
  const n = logits.length;
  const biases: number[] = new Array<number>(SLOT_COUNT).fill(0);
  const probabilities = new Float64Array(n * SLOT_COUNT);
  const refresh = (label: LabelName): void => {
    const first = FIRST_SLOT[label];
    const end = first + LABEL_VALUES[label].length;
    const temperature = temperatures[label];
    for (let i = 0; i < n; i++) {
      const logit = logits[i] as Float64Array;
      const offset = i * SLOT_COUNT;
      let max = -Infinity;
      for (let slot = first; slot < end; slot++) max = Math.max(max, (probabilities[offset + slot] = (logit[slot] as number) / temperature + (biases[slot] as number)));
      let sum = 0;
      for (let slot = first; slot < end; slot++) sum += probabilities[offset + slot] = Math.exp((probabilities[offset + slot] as number) - max);
      for (let slot = first; slot < end; slot++) probabilities[offset + slot] = (probabilities[offset + slot] as number) / sum;
    }
  };
  for (const label of LABEL_NAMES) refresh(label);
  const predicted = new Int32Array(n);
  const score = (label: LabelName, gold: Int32Array): number => {
    for (let i = 0; i < n; i++) {
      const offset = i * SLOT_COUNT;
      if (!JOINTLY_DECODED.has(label)) predicted[i] = bestValue(probabilities, label, offset);
      else {
        const choice = bestActionChoice(probabilities, offset);
        predicted[i] = label === 'is_claim' ? choice.claim : label === 'incident' ? choice.incident : choice.urgence;
      }
    }
    return macroF1OfIndices(LABEL_VALUES[label].length, gold, predicted);
  };
  for (let pass = 0; pass < 2; pass++) {
    for (const [l, label] of LABEL_NAMES.entries()) {
      const gold = Int32Array.from(data, (example) => example.gold[l] as number);
      for (let slot = FIRST_SLOT[label]; slot < FIRST_SLOT[label] + LABEL_VALUES[label].length; slot++) {
        const kept = biases[slot] as number;
        let best = { bias: kept, f1: score(label, gold) + 0.002 };
        for (const bias of BIAS_STEPS) {
          biases[slot] = bias;
          refresh(label);
          const f1 = score(label, gold);
          if (f1 > best.f1 || (f1 === best.f1 && Math.abs(bias) < Math.abs(best.bias))) best = { bias, f1 };
        }
        biases[slot] = best.bias;
        refresh(label);
      }
    }
  }
  return biases;
}

/** Pool-adjacent-violators: the non-decreasing fit of `y` on sorted `x`, as at most ~40 knots. */
export function isotonic(points: Array<{ x: number; y: number }>): { x: number[]; y: number[] } {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const blocks: Array<{ sum: number; count: number; xs: number }> = [];
  for (const point of sorted) {
    blocks.push({ sum: point.y, count: 1, xs: point.x });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1] as { sum: number; count: number; xs: number };
      const previous = blocks[blocks.length - 2] as { sum: number; count: number; xs: number };
      if (previous.sum / previous.count <= last.sum / last.count) break;
      blocks.splice(-2, 2, { sum: previous.sum + last.sum, count: previous.count + last.count, xs: previous.xs + last.xs });
    }
  }
  const knots = blocks.map((block) => ({ x: block.xs / block.count, y: block.sum / block.count }));
  const step = Math.max(1, Math.ceil(knots.length / 40));
  const kept = knots.filter((_, i) => i % step === 0 || i === knots.length - 1);
  return { x: kept.map((k) => Math.round(k.x * 1e4) / 1e4), y: kept.map((k) => Math.round(k.y * 1e4) / 1e4) };
}

/** What cross-validation on the real tweets measured, with the calibration it learned. */
export interface CrossValidation {
  /** Macro-F1 and ECE of the out-of-fold predictions of the real tweets, biases cross-fitted (see below). */
  report: EvaluationReport;
  adjustment: LogitAdjustment;
  calibration: ModelHeader['calibration'];
  /** The fold fits, averaged into the shipped weights. */
  foldWeights: Float32Array[];
}

/**
 * Fits one model per fold (trained on every example outside it), predicts the
 * real tweets of the fold, and learns the calibration on those out-of-fold
 * predictions. The reported figures are honest: each fold's predictions are
 * scored with biases tuned on the other folds only.
 */
export function crossValidate(examples: readonly Example[], options: TrainOptions, data: readonly Encoded[] = encode(examples, options)): CrossValidation {
  const foldOf = assignFolds(examples, options.folds, options.seed + 1);
  // The folds' models are quantized as the shipped one is, so calibration sees the same logits.
  const foldWeights = Array.from({ length: options.folds }, (_, fold) => fitAveraged(data.filter((_, i) => foldOf[i] !== fold), options));
  const foldModels: QuantizedWeights[] = foldWeights.map(quantizeWeights);
  // Paraphrases have a fold (they stay out of their source's training folds) but are never scored.
  const validated = data.flatMap((example, i) => (examples[i]?.origin === 'real' ? [{ example, fold: foldOf[i] as number }] : []));
  if (validated.length === 0) throw new Error('no real tweet to validate on: training needs real labelled tweets');
  const gold = validated.map(({ example }) => example);
  const logits = validated.map(({ example, fold }) => {
    const model = foldModels[fold] as QuantizedWeights;
    return computeLogits(model.weights, example.features, model.weightScales);
  });
  const temperatures = fitTemperatures(logits, gold);
  const crossFitted = new Array<GoldLabels>(validated.length);
  for (let fold = 0; fold < options.folds; fold++) {
    const others = validated.flatMap((v, i) => (v.fold === fold ? [] : [i]));
    const biases = fitBiases(others.map((i) => logits[i] as Float64Array), others.map((i) => gold[i] as Encoded), temperatures);
    validated.forEach((v, i) => {
      if (v.fold === fold) crossFitted[i] = decode(softmaxPerLabel(logits[i] as Float64Array, { temperatures, biases })).labels;
    });
  }
  const adjustment = { temperatures, biases: fitBiases(logits, gold, temperatures) };
  const decoded = logits.map((logit) => decode(softmaxPerLabel(logit, adjustment)));
  const calibration = isotonic(decoded.map(({ labels, rawConfidence }, i) => ({ x: rawConfidence, y: rightShare(labels, gold[i] as Encoded) })));
  const predicted = crossFitted.map((labels, i) => ({ ...labels, confidence: calibrateConfidence(calibration, (decoded[i] as (typeof decoded)[number]).rawConfidence) }));
  const report = evaluate(gold.map(goldLabels), predicted);
  return { report, adjustment, calibration, foldWeights };
}

function goldLabels(example: Encoded): GoldLabels {
  return Object.fromEntries(LABEL_NAMES.map((label, l) => [label, LABEL_VALUES[label][example.gold[l] as number]])) as unknown as GoldLabels;
}

function rightShare(labels: GoldLabels, example: Encoded): number {
  return LABEL_NAMES.filter((label, l) => labels[label] === LABEL_VALUES[label][example.gold[l] as number]).length / LABEL_NAMES.length;
}

export function train(name: string, examples: readonly Example[], options: TrainOptions = DEFAULT_TRAIN_OPTIONS, extraInfo: Record<string, unknown> = {}): { model: Model; crossValidation: EvaluationReport } {
  const data = encode(examples, options);
  const { report, adjustment, calibration, foldWeights } = crossValidate(examples, options, data);
  const { weights, weightScales } = quantizeWeights(
    blend([{ table: fitAveraged(data, options), share: 1 - options.foldShare }, ...foldWeights.map((table) => ({ table, share: options.foldShare / options.folds }))]),
  );
  const count = (origin: Origin): number => examples.filter((example) => example.origin === origin).length;
  const header: ModelHeader = {
    format: 'fmc-model',
    version: 4,
    name,
    features: options.features,
    labelValues: LABEL_VALUES,
    adjustment,
    calibration,
    weightScales,
    weightsSha256: sha256(new Uint8Array(weights.buffer)),
    training: { ...extraInfo, examples: data.length, real: count('real'), paraphrases: count('paraphrase'), written: count('written'), extra: count('extra'), options, crossValidation: summarise(report) },
  };
  return { model: { header, weights }, crossValidation: report };
}

/** The figures a model card keeps of an evaluation: mean and per-label macro-F1, ECE. */
export function summarise(report: EvaluationReport): { examples: number; meanMacroF1: number; ece: number; macroF1: Record<LabelName, number> } {
  return {
    examples: report.examples,
    meanMacroF1: report.meanMacroF1,
    ece: report.ece,
    macroF1: Object.fromEntries(LABEL_NAMES.map((label) => [label, report.labels[label].macroF1])) as Record<LabelName, number>,
  };
}
