import type { CleanedTweet } from '../clean/index.js';
import type { Labels } from '../labels.js';

/** What a classifier sees of a row: the cleaned tweet and, when the export has it, its author. */
export interface ClassifierInput {
  tweet: CleanedTweet;
  author?: string | undefined;
}

/** A local classifier: synchronous, pure, fast enough to run on every tweet. */
export interface TweetClassifier {
  /** Name and version; part of every cache key, so a new version never reads old entries. */
  readonly id: string;
  classify(input: ClassifierInput): Labels;
}
