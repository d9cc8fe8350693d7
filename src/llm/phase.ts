/**
 * The LLM phase: tweets in batches, a bounded number of requests at once,
 * retries with exponential backoff on 5xx, network errors and timeouts, and a
 * circuit breaker that stops calling after repeated failures. An item missing
 * or invalid in an answer is asked again alone, once. Whatever the LLM does,
 * every tweet comes back: with LLM labels, or `undefined` and a reason, in
 * which case it keeps its local labels.
 */
import pLimit from 'p-limit';
import type { FmcConfig } from '../config/index.js';
import { enforceConsistency, type Labels } from '../labels.js';
import { LlmHttpError, type LlmBackend } from './backend.js';
import { ANSWER_SCHEMA, PROMPT_VERSION, readAnswer, SYSTEM_PROMPT, userMessage, type PromptTweet } from './prompt.js';

export interface LlmStats {
  requests: number;
  failedRequests: number;
  retries: number;
  tweetsSent: number;
  tokensIn: number;
  tokensOut: number;
  /** Wall time of the phase. */
  ms: number;
  /** Items in answers with ids that were not asked about (ignored). */
  unexpectedItems: number;
  /** Tweets answered by the LLM (not from the cache). */
  answered: number;
  /** Tweets that kept their local labels, by reason. */
  fallbacks: Record<string, number>;
  /** Why the breaker stopped the calls, when it did. */
  breakerOpened?: string;
}

export function emptyLlmStats(): LlmStats {
  return { requests: 0, failedRequests: 0, retries: 0, tweetsSent: 0, tokensIn: 0, tokensOut: 0, ms: 0, unexpectedItems: 0, answered: 0, fallbacks: {} };
}

export interface LlmClassifier {
  /** Part of every cache key: provider, model, prompt version. */
  readonly id: string;
  readonly description: string;
  /** Labels per text, in order; `undefined` where the local labels stay. */
  classify(texts: readonly string[], onProgress?: (done: number) => void): Promise<Array<Labels | undefined>>;
  readonly stats: LlmStats;
}

class BreakerOpenError extends Error {}

function retryable(error: unknown): boolean {
  if (error instanceof LlmHttpError) return error.status >= 500 || error.status === 429;
  return true; // network errors and timeouts
}

function reasonOf(error: unknown): string {
  if (error instanceof LlmHttpError) return error.message;
  if (error instanceof Error) return error.name === 'TimeoutError' ? 'timeout' : error.message;
  return String(error);
}

export function createLlmClassifier(backend: LlmBackend, settings: FmcConfig['llm']): LlmClassifier {
  const stats = emptyLlmStats();
  const limit = pLimit(settings.concurrency);
  let consecutiveFailures = 0;

  const fallback = (reason: string, count: number): void => {
    stats.fallbacks[reason] = (stats.fallbacks[reason] ?? 0) + count;
  };

  /** One request, retried; throws once retries are spent or the breaker is open. */
  async function ask(tweets: readonly PromptTweet[]): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      if (stats.breakerOpened !== undefined) throw new BreakerOpenError(stats.breakerOpened);
      stats.requests++;
      stats.tweetsSent += tweets.length;
      try {
        const answer = await backend.chat(SYSTEM_PROMPT, userMessage(tweets), ANSWER_SCHEMA);
        stats.tokensIn += answer.tokensIn;
        stats.tokensOut += answer.tokensOut;
        consecutiveFailures = 0;
        return answer.content;
      } catch (error) {
        stats.failedRequests++;
        if (retryable(error) && attempt < settings.retries) {
          stats.retries++;
          await new Promise((resolve) => setTimeout(resolve, settings.backoffMs * 2 ** attempt));
          continue;
        }
        if (++consecutiveFailures >= settings.breakerThreshold && stats.breakerOpened === undefined) {
          stats.breakerOpened = `${consecutiveFailures} requests failed in a row (last: ${reasonOf(error)})`;
        }
        throw error;
      }
    }
  }

  /** Labels for a batch: asked together, then each missing or invalid item alone, once. */
  async function classifyBatch(tweets: readonly PromptTweet[], alone = false): Promise<Map<string, Labels>> {
    let content: string;
    try {
      content = await ask(tweets);
    } catch (error) {
      fallback(error instanceof BreakerOpenError ? 'circuit breaker open' : `request failed: ${reasonOf(error)}`, tweets.length);
      return new Map();
    }
    const answer = readAnswer(content, new Set(tweets.map((tweet) => tweet.id)));
    stats.unexpectedItems += answer.unexpected;
    const missing = tweets.filter((tweet) => !answer.labels.has(tweet.id));
    if (alone) {
      if (missing.length > 0) fallback(answer.problem ?? 'missing or invalid in the answer', missing.length);
      return answer.labels;
    }
    const retried = await Promise.all(missing.map((tweet) => classifyBatch([tweet], true)));
    for (const labels of retried) for (const [id, value] of labels) answer.labels.set(id, value);
    return answer.labels;
  }

  return {
    id: `llm-${settings.provider}-${settings.model}-${PROMPT_VERSION}`,
    description: backend.description,
    stats,
    async classify(texts, onProgress) {
      const started = performance.now();
      const results: Array<Labels | undefined> = new Array<Labels | undefined>(texts.length).fill(undefined);
      let done = 0;
      const batches: number[][] = [];
      for (let start = 0; start < texts.length; start += settings.batchSize) {
        batches.push(Array.from({ length: Math.min(settings.batchSize, texts.length - start) }, (_, i) => start + i));
      }
      await Promise.all(
        batches.map((positions) =>
          limit(async () => {
            const tweets = positions.map((position, i) => ({ id: String(i + 1), text: texts[position] as string }));
            const labels = await classifyBatch(tweets);
            positions.forEach((position, i) => {
              const answer = labels.get(String(i + 1));
              if (answer === undefined) return;
              stats.answered++;
              results[position] = enforceConsistency({ ...answer, confidence: Math.round(answer.confidence * 1000) / 1000 });
            });
            onProgress?.((done += positions.length));
          }),
        ),
      );
      stats.ms += performance.now() - started;
      return results;
    },
  };
}
