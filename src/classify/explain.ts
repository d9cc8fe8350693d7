/**
 * Why the model gave each label: for every label, the chosen value against
 * the runner-up, and what each feature of the tweet added to the difference
 * of their adjusted logits (its value × the difference of its two weights,
 * over the label's temperature), plus the calibration bias. The parts add up
 * to the difference exactly. Character n-grams are credited to the word they
 * were read in. Computed on demand only: classification never names features.
 */
import { FIRST_SLOT, LABEL_NAMES, LABEL_VALUES, SLOT_COUNT, type LabelName, type Labels } from '../labels.js';
import { extractFeatures, hash, type FeatureConfig } from './features.js';
import { computeLogits, decode, softmaxPerLabel, type Model } from './model.js';
import { placesIn, type Place } from './places.js';
import { fireCues } from './rules.js';
import type { ClassifierInput } from './types.js';

export type FeatureKind = 'word' | 'bigram' | 'rule' | 'signal';

export interface Contribution {
  /** The word, the two words, the rule's name, or the signal (`bias`, `len:2`, `p:?`). */
  feature: string;
  kind: FeatureKind;
  /** What it added to the chosen value's lead over the runner-up. */
  weight: number;
}

export interface LabelExplanation {
  value: string;
  /** The value that came second on the adjusted logits. */
  against: string;
  /** Adjusted logit of `value` minus that of `against`: the sum of every contribution and `calibration`. */
  difference: number;
  /** The calibration bias of the two values (tuned for rare values). */
  calibration: number;
  /** Largest first, by absolute weight. */
  contributions: Contribution[];
}

export interface Explanation {
  labels: Omit<Labels, 'confidence'>;
  rules: string[];
  places: Place[];
  perLabel: Record<LabelName, LabelExplanation>;
}

const TOKEN = /[a-z0-9€]+(?:'[a-z0-9]+)?/g;

/** The tweet's features by name, bucket and raw value (before scaling), in the order `extractFeatures` reads them; a bucket keeps its first feature. */
export function namedFeatures(input: ClassifierInput, config: FeatureConfig, fired: readonly string[]): Array<{ name: string; kind: FeatureKind; bucket: number; value: number }> {
  const mask = (1 << config.hashBits) - 1;
  const seen = new Set<number>();
  const features: Array<{ name: string; kind: FeatureKind; bucket: number; value: number }> = [];
  const add = (key: string, name: string, kind: FeatureKind, value: number) => {
    // Hashed as features.ts hashes: the named feature lands in the bucket the model read.
    const bucket = hash(key) & mask;
    if (seen.has(bucket)) return;
    seen.add(bucket);
    features.push({ name, kind, bucket, value });
  };
  add('bias', 'bias', 'signal', 1);
  const tokens = input.tweet.folded.match(TOKEN) ?? [];
  tokens.forEach((token, i) => {
    add(`w:${token}`, token, 'word', 1);
    if (i > 0) add(`b:${tokens[i - 1]} ${token}`, `${tokens[i - 1]} ${token}`, 'bigram', 1);
    const padded = ` ${token} `;
    for (let start = 0; start + config.charNgramMin <= padded.length; start++) {
      for (let n = config.charNgramMin; n <= config.charNgramMax && start + n <= padded.length; n++) add(`c:${padded.slice(start, start + n)}`, token, 'word', config.charWeight);
    }
  });
  for (const name of fired) add(`r:${name}`, name, 'rule', config.ruleWeight);
  const length = `len:${Math.min(6, Math.floor(tokens.length / 8))}`;
  add(length, length, 'signal', 1);
  if (input.tweet.folded.includes('?')) add('p:?', 'p:?', 'signal', 1);
  if (input.tweet.folded.includes('!')) add('p:!', 'p:!', 'signal', 1);
  return features;
}

export function explainWithModel(model: Model, input: ClassifierInput, top = 8): Explanation {
  const { header, weights } = model;
  const fired = fireCues(input);
  const features = namedFeatures(input, header.features, fired);
  const norm = Math.sqrt(features.reduce((sum, feature) => sum + feature.value * feature.value, 0));
  const logits = computeLogits(weights, extractFeatures(input, header.features, fired), header.weightScales);
  const adjusted = Array.from(logits, (logit, slot) => {
    const label = LABEL_NAMES.find((name) => slot >= FIRST_SLOT[name] && slot < FIRST_SLOT[name] + LABEL_VALUES[name].length) as LabelName;
    return logit / header.adjustment.temperatures[label] + (header.adjustment.biases[slot] ?? 0);
  });
  // The labels as the model decodes them (is_claim, incident and urgence chosen together).
  const probabilities = softmaxPerLabel(logits, header.adjustment);
  const { labels } = decode(probabilities);

  const perLabel = {} as Record<LabelName, LabelExplanation>;
  for (const label of LABEL_NAMES) {
    const first = FIRST_SLOT[label];
    const chosen = first + LABEL_VALUES[label].indexOf(labels[label] as never);
    let against = -1;
    for (let slot = first; slot < first + LABEL_VALUES[label].length; slot++) if (slot !== chosen && (against < 0 || (adjusted[slot] as number) > (adjusted[against] as number))) against = slot;
    const temperature = header.adjustment.temperatures[label];
    const byName = new Map<string, Contribution>();
    for (const feature of features) {
      const row = feature.bucket * SLOT_COUNT;
      const weight =
        ((feature.value / norm) * ((weights[row + chosen] as number) * (header.weightScales[chosen] as number) - (weights[row + against] as number) * (header.weightScales[against] as number))) / temperature;
      const key = `${feature.kind}:${feature.name}`;
      const entry = byName.get(key) ?? { feature: feature.name, kind: feature.kind, weight: 0 };
      entry.weight += weight;
      byName.set(key, entry);
    }
    perLabel[label] = {
      value: labels[label],
      against: LABEL_VALUES[label][against - first] as string,
      difference: (adjusted[chosen] as number) - (adjusted[against] as number),
      calibration: (header.adjustment.biases[chosen] ?? 0) - (header.adjustment.biases[against] ?? 0),
      contributions: [...byName.values()].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).slice(0, top),
    };
  }
  return { labels, rules: fired, places: placesIn(input.tweet.folded), perLabel };
}
