/**
 * Features of the trained model: hashed word unigrams and bigrams, character
 * 3–5-grams inside words (robust to typos and glued words), the rules' cue
 * firings and emoji/author signals. Shared by training and inference so both
 * always see the same thing.
 */
import { fireCues } from './rules.js';
import type { ClassifierInput } from './types.js';

export interface FeatureConfig {
  /** log2 of the number of hash buckets. */
  hashBits: number;
  charNgramMin: number;
  charNgramMax: number;
  /** Value of a character n-gram, against 1 for a word, a bigram or a signal: a tweet has ten times more of them. */
  charWeight: number;
  /** Value of a rule's firing: the rules' cues are the hand-made knowledge the data is too small to learn. */
  ruleWeight: number;
}

// Chosen by cross-validation on the real training tweets. Weights: mean macro-F1 0.622 with 1 and 1, 0.668 with 0.3 and 3, 0.673 with 4 once
// the place, spread and enthusiasm cues were added. Character 3–4-grams against 3–5 once paraphrases and written tweets were added:
// 0.7165 against 0.7110 (3–3: 0.7117, 4–5: 0.7047), with a fifth fewer features per tweet.
export const DEFAULT_FEATURE_CONFIG: FeatureConfig = { hashBits: 17, charNgramMin: 3, charNgramMax: 4, charWeight: 0.3, ruleWeight: 4 };

/** A tweet's features: hash buckets and their values, scaled to unit length so long and short tweets weigh the same. */
export interface SparseFeatures {
  buckets: Uint32Array;
  values: Float32Array;
}

const TOKEN = /[a-z0-9€]+(?:'[a-z0-9]+)?/g;

/** FNV-1a over a string, 32 bits. */
export function hash(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// FNV-1a is sequential, so hash(prefix + text) = hash(text, hash(prefix)): the prefixes are hashed once, and no feature string is built.
const CHAR_NGRAM_SEED = hash('c:');
const WORD_SEED = hash('w:');
const BIGRAM_SEED = hash('b:');
const SPACE = ' '.charCodeAt(0);

/**
 * Which buckets the current tweet already has: a bucket holds the number of
 * the last tweet that used it, so nothing is cleared between tweets (a Map
 * per tweet costs a quarter of the model's speed).
 */
let seenIn = new Uint32Array(0);
let tweetNumber = 0;
let mask = 0;
// The current tweet's features, in buffers reused from tweet to tweet: no array is built per tweet.
let bucketBuffer = new Uint32Array(1024);
let valueBuffer = new Float32Array(1024);
let count = 0;

/** A bucket keeps the value of its first feature: a feature is present or not. */
function add(bucket: number, value: number): void {
  if (seenIn[bucket] === tweetNumber) return;
  seenIn[bucket] = tweetNumber;
  if (count === bucketBuffer.length) {
    const [buckets, values] = [new Uint32Array(count * 2), new Float32Array(count * 2)];
    buckets.set(bucketBuffer);
    values.set(valueBuffer);
    [bucketBuffer, valueBuffer] = [buckets, values];
  }
  bucketBuffer[count] = bucket;
  valueBuffer[count++] = value;
}

const push = (feature: string, value = 1): void => add(hash(feature) & mask, value);

/**
 * The features of a tweet. The arrays returned are views of buffers that the
 * next call overwrites: read them before extracting again, or copy them (training keeps them).
 */
export function extractFeatures(input: ClassifierInput, config: FeatureConfig, fired: readonly string[] = fireCues(input)): SparseFeatures {
  mask = (1 << config.hashBits) - 1;
  if (seenIn.length !== mask + 1 || tweetNumber === 0xffffffff) {
    seenIn = new Uint32Array(mask + 1);
    tweetNumber = 0;
  }
  tweetNumber++;
  count = 0;
  push('bias');
  const tokens = input.tweet.folded.match(TOKEN) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    add(hash(token, WORD_SEED) & mask, 1);
    if (i > 0) add(hash(token, Math.imul(hash(tokens[i - 1] as string, BIGRAM_SEED) ^ SPACE, 0x01000193) >>> 0) & mask, 1);
    // Character n-grams hashed as they are read: hash(`c:${gram}`) without building the strings.
    const padded = ` ${token} `;
    for (let start = 0; start + config.charNgramMin <= padded.length; start++) {
      let h = CHAR_NGRAM_SEED;
      for (let n = 1; n <= config.charNgramMax && start + n <= padded.length; n++) {
        h = Math.imul(h ^ padded.charCodeAt(start + n - 1), 0x01000193);
        if (n >= config.charNgramMin) add((h >>> 0) & mask, config.charWeight);
      }
    }
  }
  for (const name of fired) push(`r:${name}`, config.ruleWeight);
  push(`len:${Math.min(6, Math.floor(tokens.length / 8))}`);
  if (input.tweet.folded.includes('?')) push('p:?');
  if (input.tweet.folded.includes('!')) push('p:!');
  let squares = 0;
  for (let i = 0; i < count; i++) squares += (valueBuffer[i] as number) * (valueBuffer[i] as number);
  const scale = 1 / Math.sqrt(squares);
  for (let i = 0; i < count; i++) valueBuffer[i] = (valueBuffer[i] as number) * scale;
  return { buckets: bucketBuffer.subarray(0, count), values: valueBuffer.subarray(0, count) };
}
