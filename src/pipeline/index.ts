/**
 * The pipeline, written once: input rows → cleaned → deduplicated → classified
 * rows, in input order, none lost. The CLI, the server and workers all call it.
 *
 *   const pipeline = createPipeline({ mode: 'fast' });
 *   for await (const row of pipeline.run(input.rows)) write(row);
 *   pipeline.finish(); // RunStats
 */
import { cleanTweet } from '../clean/index.js';
import { DedupIndex } from '../clean/dedup.js';
import { loadClassifier, type TweetClassifier } from '../classify/index.js';
import type { FieldValue, InputRow } from '../ingest/types.js';
import { CAUTIOUS_LABELS, type Labels } from '../labels.js';
import { StatsRecorder, type RunStats } from './stats.js';

export * from './stats.js';

export const MODES = ['fast', 'balanced', 'precise'] as const;
export type Mode = (typeof MODES)[number];

export interface ClassifiedRow {
  row: InputRow;
  textCleaned: string;
  labels: Labels;
  /** Id of the first row with the same cleaned text; empty for that first row. */
  duplicateOf: string;
  error?: string;
}

export interface PipelineOptions {
  mode?: Mode;
  classifier?: TweetClassifier;
}

export class UnsupportedModeError extends Error {
  override name = 'UnsupportedModeError';
}

const AUTHOR_FIELDS = ['author', 'user', 'screen_name', 'username', 'auteur'];

function authorOf(fields: Record<string, FieldValue>): string | undefined {
  for (const name of AUTHOR_FIELDS) {
    const value = fields[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

export interface Pipeline {
  run(rows: AsyncIterable<InputRow>): AsyncGenerator<ClassifiedRow>;
  /** Adds the time a consumer spent writing, so the summary shows it as a phase. */
  timeWrite(ms: number): void;
  finish(): RunStats;
}

export function createPipeline(options: PipelineOptions = {}): Pipeline {
  const mode = options.mode ?? 'fast';
  if (mode !== 'fast') {
    throw new UnsupportedModeError(`mode "${mode}" needs the LLM phase, which this version does not have yet: use --mode fast`);
  }
  const classifier = options.classifier ?? loadClassifier();
  const recorder = new StatsRecorder();
  const seen = new DedupIndex();

  function classifyRow(row: InputRow): ClassifiedRow {
    if (row.error !== undefined) {
      recorder.count(CAUTIOUS_LABELS, 'error');
      return { row, textCleaned: '', labels: CAUTIOUS_LABELS, duplicateOf: '', error: row.error };
    }
    const tweet = cleanTweet(row.text);
    const first = seen.get(tweet.key);
    if (first !== undefined) {
      recorder.count(first.labels, 'duplicate');
      return { row, textCleaned: tweet.text, labels: first.labels, duplicateOf: first.id };
    }
    const started = performance.now();
    const labels = seen.remember(tweet.key, row.id, classifier.classify({ tweet, author: authorOf(row.fields) }));
    recorder.time('classify', performance.now() - started);
    recorder.count(labels, 'unique');
    return { row, textCleaned: tweet.text, labels, duplicateOf: '' };
  }

  return {
    async *run(rows) {
      for await (const row of rows) yield classifyRow(row);
    },
    timeWrite: (ms) => recorder.time('write', ms),
    finish: () => recorder.finish(),
  };
}
