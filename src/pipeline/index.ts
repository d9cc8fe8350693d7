/**
 * The pipeline, written once: input rows → cleaned → deduplicated → classified
 * rows, in input order, none lost. The CLI, the server and workers all call it.
 *
 *   const pipeline = createPipeline({ mode: 'fast' });
 *   for await (const row of pipeline.run(input.rows)) write(row);
 *   pipeline.finish(); // RunStats
 *
 * `fast` streams. `balanced` and `precise` hold the classified rows until the
 * LLM phase has answered about its sample (they need every local label to
 * choose it), then stream them out.
 */
import { cleanTweet } from '../clean/index.js';
import { DedupIndex, type FirstSeen } from '../clean/dedup.js';
import { cacheKey, type LabelLookup } from '../cache/index.js';
import { isOperatorAccount, loadClassifier, type ClassifierInput, type TweetClassifier } from '../classify/index.js';
import type { FieldValue, InputRow } from '../ingest/types.js';
import { CAUTIOUS_LABELS, type Labels } from '../labels.js';
// The sampler and the client's type only: the LLM libraries load when a run needs them.
import { selectForLlm } from '../llm/sample.js';
import type { LlmClassifier } from '../llm/phase.js';
import type { Mode } from './modes.js';
import { StatsRecorder, type CacheCounts, type RunStats } from './stats.js';

export * from './stats.js';
export { MODES, type Mode } from './modes.js';

export interface ClassifiedRow {
  row: InputRow;
  textCleaned: string;
  labels: Labels;
  /** Id of the first row with the same cleaned text; empty for that first row. */
  duplicateOf: string;
  /** The dedup key (`CleanedTweet.key`) shared by rows with the same normalised text; empty for error rows. */
  key: string;
  /** `llm` when the LLM's answer replaced the local labels; `none` for error rows. */
  labelSource: LabelSource;
  error?: string;
}

/** `human`: corrected by a person after the run. */
export type LabelSource = 'rules+model' | 'llm' | 'none' | 'human';

/** Progress of the phases that do not follow the input's bytes. */
export interface PhaseProgress {
  /** `llm`: tweets answered; `write`: announced once, with the number of rows about to come out. */
  phase: 'llm' | 'write';
  done: number;
  total: number;
}

export interface PipelineOptions {
  mode?: Mode;
  classifier?: TweetClassifier;
  /** Labels of tweets classified in earlier runs; none when absent. */
  cache?: LabelLookup;
  /** Required by `balanced` and `precise`. */
  llm?: { classifier: LlmClassifier; budget: number; minSample: number };
  onProgress?: (progress: PhaseProgress) => void;
  /** Rows classified together (one cache query each): larger where the rows are all at hand and the cache is remote. */
  batchRows?: number;
}

export class UnsupportedModeError extends Error {
  override name = 'UnsupportedModeError';
}

/** Rows classified together by default; small enough that the first rows come out at once. */
const CHUNK_ROWS = 256;

const AUTHOR_FIELDS = ['author', 'user', 'screen_name', 'username', 'auteur'];

/** The author of a row, from the columns exports name it by. */
export function authorOf(fields: Readonly<Record<string, FieldValue>>): string | undefined {
  for (const name of AUTHOR_FIELDS) {
    const value = fields[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/**
 * The LLM's labels of `texts` (cleaned), in order: from the cache where it has
 * them, else asked (and then cached); `undefined` where the LLM did not answer.
 * The embedded pipeline and the cluster's workers both ask through it.
 */
export async function llmLabels(
  classifier: LlmClassifier,
  texts: readonly string[],
  cache: LabelLookup | undefined,
  report: { onLookup?: (level: keyof CacheCounts) => void; onProgress?: (done: number) => void } = {},
): Promise<Array<Labels | undefined>> {
  const keys = cache === undefined ? [] : texts.map((text) => cacheKey(classifier.id, text));
  const hits = cache === undefined ? [] : await cache.getMany(keys);
  for (const hit of hits) report.onLookup?.(hit?.level ?? 'misses');
  const labels: Array<Labels | undefined> = texts.map((_, i) => hits[i]?.labels);
  const toAsk = texts.map((_, i) => i).filter((i) => labels[i] === undefined);
  const alreadyKnown = texts.length - toAsk.length;
  report.onProgress?.(alreadyKnown);
  const answers = await classifier.classify(
    toAsk.map((i) => texts[i] as string),
    (done) => report.onProgress?.(alreadyKnown + done),
  );
  toAsk.forEach((i, answer) => {
    const answered = answers[answer];
    if (answered === undefined) return;
    labels[i] = answered;
    cache?.set(keys[i] as string, classifier.id, answered);
  });
  return labels;
}

export interface Pipeline {
  run(rows: AsyncIterable<InputRow> | Iterable<InputRow>): AsyncGenerator<ClassifiedRow>;
  /** Adds the time a consumer spent writing, so the summary shows it as a phase. */
  timeWrite(ms: number): void;
  finish(): RunStats;
}

export function createPipeline(options: PipelineOptions = {}): Pipeline {
  const mode = options.mode ?? 'fast';
  const { cache, llm } = options;
  if (mode !== 'fast' && llm === undefined) throw new UnsupportedModeError(`mode "${mode}" needs an LLM; use --mode fast without one`);
  const classifier = options.classifier ?? loadClassifier();
  const batchRows = options.batchRows ?? CHUNK_ROWS;
  const recorder = new StatsRecorder();
  const seen = new DedupIndex();

  /** Dedup keys of the tweets whose labels a person gave (their duplicates have them too). */
  const correctedKeys = new Set<string>();

  /**
   * Labels of distinct tweets: a person's where the text was corrected, else
   * the cache's where it has them, else the classifier's (and then cached).
   */
  async function classifyUnique(inputs: readonly ClassifierInput[]): Promise<Labels[]> {
    if (cache === undefined) return inputs.map((input) => classifier.classify(input));
    const corrected = await cache.corrected(inputs.map(({ tweet }) => tweet.text));
    // What the classifier reads: the cleaned text, its emojis and whether the author is the operator.
    const texts = inputs.map(({ tweet, author }) => `${isOperatorAccount(author) ? 'operator' : ''}\n${tweet.text}\n${tweet.emojis.join('')}`);
    const keys = texts.map((text) => cacheKey(classifier.id, text));
    const hits = await cache.getMany(keys);
    return inputs.map((input, i) => {
      const byPerson = corrected[i];
      if (byPerson !== undefined) {
        correctedKeys.add(input.tweet.key);
        return byPerson;
      }
      const hit = hits[i];
      recorder.cacheLookup('classify', hit?.level ?? 'misses');
      if (hit !== undefined) return hit.labels;
      const labels = classifier.classify(input);
      cache.set(keys[i] as string, classifier.id, labels);
      return labels;
    });
  }

  const sourceOf = (key: string): LabelSource => (correctedKeys.has(key) ? 'human' : 'rules+model');

  /**
   * A chunk of rows in, the same rows classified out, in order. Chunks let the
   * cache read many keys per query; a text seen earlier, in this chunk or a
   * previous one, is not classified again.
   */
  async function classifyChunk(rows: readonly InputRow[]): Promise<ClassifiedRow[]> {
    const cleaned = rows.map((row) => (row.error === undefined ? cleanTweet(row.text) : undefined));
    const firstInChunk = new Set<string>();
    const unique: ClassifierInput[] = [];
    const uniqueIndexOf = rows.map((row, i) => {
      const tweet = cleaned[i];
      if (tweet === undefined || seen.get(tweet.key) !== undefined || firstInChunk.has(tweet.key)) return -1;
      firstInChunk.add(tweet.key);
      return unique.push({ tweet, author: authorOf(row.fields) }) - 1;
    });
    const started = performance.now();
    const labelsOfUnique = await classifyUnique(unique);
    recorder.time('classify', performance.now() - started);
    return rows.map((row, i) => {
      const tweet = cleaned[i];
      if (tweet === undefined) return { row, textCleaned: '', labels: CAUTIOUS_LABELS, duplicateOf: '', key: '', labelSource: 'none', error: row.error };
      const position = uniqueIndexOf[i] as number;
      if (position >= 0) {
        const labels = seen.remember(tweet.key, row.id, labelsOfUnique[position] as Labels);
        return { row, textCleaned: tweet.text, labels, duplicateOf: '', key: tweet.key, labelSource: sourceOf(tweet.key) };
      }
      const first = seen.get(tweet.key) as FirstSeen;
      return { row, textCleaned: tweet.text, labels: first.labels, duplicateOf: first.id, key: tweet.key, labelSource: sourceOf(tweet.key) };
    });
  }

  function counted(row: ClassifiedRow): ClassifiedRow {
    recorder.count(row.labels, row.error !== undefined ? 'error' : row.duplicateOf !== '' ? 'duplicate' : 'unique');
    return row;
  }

  async function* chunksOf(rows: AsyncIterable<InputRow> | Iterable<InputRow>) {
    let chunk: InputRow[] = [];
    for await (const row of rows) {
      chunk.push(row);
      if (chunk.length === batchRows) {
        yield await classifyChunk(chunk);
        chunk = [];
      }
    }
    yield await classifyChunk(chunk);
  }

  /**
   * The LLM's labels of the sampled unique tweets, by dedup key. A tweet the
   * LLM did not answer keeps its local labels.
   */
  async function askLlm(llmPhase: NonNullable<PipelineOptions['llm']>, unique: readonly ClassifiedRow[]): Promise<Map<string, Labels>> {
    const started = performance.now();
    const chosen = selectForLlm(mode === 'precise' ? 'precise' : 'balanced', unique, llmPhase.budget, llmPhase.minSample);
    const texts = chosen.map((position) => (unique[position] as ClassifiedRow).textCleaned);
    const answers = await llmLabels(llmPhase.classifier, texts, cache, {
      onLookup: (level) => recorder.cacheLookup('llm', level),
      onProgress: (done) => options.onProgress?.({ phase: 'llm', done, total: chosen.length }),
    });
    const byKey = new Map<string, Labels>();
    chosen.forEach((position, i) => {
      const labels = answers[i];
      if (labels !== undefined) byKey.set((unique[position] as ClassifiedRow).key, labels);
    });
    recorder.llm(chosen.length, llmPhase.classifier.stats, llmPhase.classifier.description);
    recorder.time('llm', performance.now() - started);
    return byKey;
  }

  return {
    async *run(rows) {
      if (llm === undefined) {
        for await (const chunk of chunksOf(rows)) for (const out of chunk) yield counted(out);
        return;
      }
      const all: ClassifiedRow[] = [];
      for await (const chunk of chunksOf(rows)) all.push(...chunk);
      // A person's labels are not asked about again.
      const fromLlm = await askLlm(llm, all.filter((out) => out.error === undefined && out.duplicateOf === '' && out.labelSource !== 'human'));
      options.onProgress?.({ phase: 'write', done: 0, total: all.length });
      for (const out of all) {
        const labels = out.error === undefined ? fromLlm.get(out.key) : undefined;
        yield counted(labels === undefined ? out : { ...out, labels, labelSource: 'llm' });
      }
    },
    timeWrite: (ms) => recorder.time('write', ms),
    finish: () => {
      cache?.flush();
      return recorder.finish();
    },
  };
}
