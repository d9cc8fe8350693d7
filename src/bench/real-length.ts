/**
 * Real-length benchmark tweets. The demo tweets average 79 characters; real
 * exports average about 150 (tweets run up to 280). Rows are composed of
 * demo tweets, joined until a length drawn from the real distribution, then
 * cut at a word: the vocabulary stays the demo's, the length becomes real.
 */
import { seededRandom } from '../random.js';

/** The inputs `fmc bench` generates: `short` cycles the input's rows, `real-length` composes them to real tweets' lengths. */
export const GENERATED_KINDS = ['short', 'real-length'] as const;
export type GeneratedKind = (typeof GENERATED_KINDS)[number];

/**
 * Quantiles of the length in characters of the 2,921 real labelled tweets
 * (train + dev): 0%, 5%, 10%, 25%, 50%, 75%, 90%, 95%, 99%, 100%. Only these
 * figures are kept, not the tweets.
 */
export const REAL_LENGTH_QUANTILES: ReadonlyArray<readonly [share: number, characters: number]> = [
  [0, 5],
  [0.05, 29],
  [0.1, 44],
  [0.25, 85],
  [0.5, 150],
  [0.75, 215],
  [0.9, 256],
  [0.95, 267],
  [0.99, 279],
  [1, 280],
];

/** A length drawn from the real distribution: the inverse of the piecewise-linear CDF at `u` in [0, 1). */
export function realLength(u: number): number {
  for (let i = 1; i < REAL_LENGTH_QUANTILES.length; i++) {
    const [share, characters] = REAL_LENGTH_QUANTILES[i] as readonly [number, number];
    if (u <= share) {
      const [previousShare, previousCharacters] = REAL_LENGTH_QUANTILES[i - 1] as readonly [number, number];
      return Math.round(previousCharacters + ((characters - previousCharacters) * (u - previousShare)) / (share - previousShare));
    }
  }
  return 280;
}

/** The first `length` characters of `text`, cut back to the last whole word (never empty). */
function cutAtWord(text: string, length: number): string {
  if (text.length <= length) return text;
  const space = text.lastIndexOf(' ', length);
  return text.slice(0, space > 0 ? space : length);
}

/**
 * `count` distinct texts of real length, composed of `sources`. A text that
 * came out before gets the row number appended (short texts repeat often).
 */
export function* realLengthTexts(sources: readonly string[], count: number, seed = 7): Generator<string> {
  if (sources.length === 0) throw new Error('no source texts to compose');
  const random = seededRandom(seed);
  const pick = (): string => sources[Math.floor(random() * sources.length)] as string;
  const seen = new Set<string>();
  for (let row = 0; row < count; row++) {
    const target = realLength(random());
    let text = pick();
    while (text.length < target) text += ` ${pick()}`;
    text = cutAtWord(text, target);
    if (seen.has(text)) text = `${text} ${row}`;
    seen.add(text);
    yield text;
  }
}
