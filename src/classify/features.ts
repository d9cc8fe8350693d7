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
}

export const DEFAULT_FEATURE_CONFIG: FeatureConfig = { hashBits: 17, charNgramMin: 3, charNgramMax: 5 };

const TOKEN = /[a-z0-9€]+(?:'[a-z0-9]+)?/g;

/** FNV-1a over a string, 32 bits. */
function hash(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const CHAR_NGRAM_SEED = hash('c:');

/** Bucket indices of a tweet's features (repeats allowed: counts are binary at use). */
export function extractFeatures(input: ClassifierInput, config: FeatureConfig, fired: readonly string[] = fireCues(input)): Uint32Array {
  const mask = (1 << config.hashBits) - 1;
  const buckets: number[] = [];
  const push = (feature: string): void => {
    buckets.push(hash(feature) & mask);
  };
  push('bias');
  const tokens = input.tweet.folded.match(TOKEN) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    push(`w:${token}`);
    if (i > 0) push(`b:${tokens[i - 1]} ${token}`);
    // Character n-grams hashed as they are read: hash(`c:${gram}`) without building the strings.
    const padded = ` ${token} `;
    for (let start = 0; start + config.charNgramMin <= padded.length; start++) {
      let h = CHAR_NGRAM_SEED;
      for (let n = 1; n <= config.charNgramMax && start + n <= padded.length; n++) {
        h = Math.imul(h ^ padded.charCodeAt(start + n - 1), 0x01000193);
        if (n >= config.charNgramMin) buckets.push((h >>> 0) & mask);
      }
    }
  }
  for (const name of fired) push(`r:${name}`);
  push(`len:${Math.min(6, Math.floor(tokens.length / 8))}`);
  if (input.tweet.folded.includes('?')) push('p:?');
  if (input.tweet.folded.includes('!')) push('p:!');
  return Uint32Array.from(new Set(buckets));
}
