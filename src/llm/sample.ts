/**
 * Which unique tweets `balanced` sends to the LLM, up to its budget
 * (a share of the unique tweets, at least `minSample` where there are that many):
 *  1. the tweets the local labels call claims, least confident first;
 *  2. of the rest, half the remaining budget to the least confident;
 *  3. the other half spread over topics in turn (rarest topic among all first), so
 *     every topic gets a second opinion, least confident first within each.
 * `precise` sends every unique tweet.
 */
import type { Labels } from '../labels.js';

export interface SampleCandidate {
  labels: Labels;
}

export function sampleSize(unique: number, budget: number, minSample: number): number {
  return Math.min(unique, Math.max(Math.ceil(unique * budget), minSample));
}

/** Positions of the chosen candidates, in input order. */
export function selectForLlm(mode: 'balanced' | 'precise', candidates: readonly SampleCandidate[], budget: number, minSample: number): number[] {
  const all = candidates.map((_, i) => i);
  if (mode === 'precise') return all;
  const size = sampleSize(candidates.length, budget, minSample);
  const confidence = (i: number): number => (candidates[i] as SampleCandidate).labels.confidence;
  const leastConfidentFirst = (a: number, b: number): number => confidence(a) - confidence(b) || a - b;
  const chosen = new Set<number>();
  const take = (positions: readonly number[], count: number): void => {
    for (const position of positions) {
      if (chosen.size >= size || count <= 0) return;
      if (!chosen.has(position)) {
        chosen.add(position);
        count--;
      }
    }
  };
  const claims = all.filter((i) => (candidates[i] as SampleCandidate).labels.is_claim === 'oui').sort(leastConfidentFirst);
  take(claims, size);
  const rest = all.filter((i) => !chosen.has(i)).sort(leastConfidentFirst);
  take(rest, Math.ceil((size - chosen.size) / 2));
  const byTopic = new Map<string, number[]>();
  for (const i of rest) {
    if (chosen.has(i)) continue;
    const topic = (candidates[i] as SampleCandidate).labels.topics;
    byTopic.set(topic, byTopic.get(topic) ?? []);
    byTopic.get(topic)?.push(i);
  }
  const topicCount = new Map<string, number>();
  for (const candidate of candidates) topicCount.set(candidate.labels.topics, (topicCount.get(candidate.labels.topics) ?? 0) + 1);
  const queues = [...byTopic.entries()].sort(([a], [b]) => (topicCount.get(a) ?? 0) - (topicCount.get(b) ?? 0)).map(([, queue]) => queue);
  while (chosen.size < size && queues.some((queue) => queue.length > 0)) {
    for (const queue of queues) {
      const next = queue.shift();
      if (next !== undefined) take([next], 1);
    }
  }
  return [...chosen].sort((a, b) => a - b);
}
