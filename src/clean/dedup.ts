/**
 * Remembers the first row and the labels of every distinct cleaned text, so a
 * duplicate is classified once. Built for millions of rows: the map holds only
 * a position, ids and labels sit in plain arrays, and label objects are
 * interned (a million tweets share a few thousand label combinations).
 */
import type { Labels } from '../labels.js';

export interface FirstSeen {
  id: string;
  labels: Labels;
}

export class DedupIndex {
  private readonly positionOfKey = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly labels: Labels[] = [];
  private readonly internedLabels = new Map<string, Labels>();

  get(key: string): FirstSeen | undefined {
    const position = this.positionOfKey.get(key);
    if (position === undefined) return undefined;
    return { id: this.ids[position] as string, labels: this.labels[position] as Labels };
  }

  remember(key: string, id: string, labels: Labels): Labels {
    const signature = `${labels.sentiment}|${labels.is_claim}|${labels.urgence}|${labels.topics}|${labels.incident}|${labels.confidence}`;
    let shared = this.internedLabels.get(signature);
    if (shared === undefined) this.internedLabels.set(signature, (shared = Object.freeze({ ...labels })));
    this.positionOfKey.set(key, this.ids.length);
    this.ids.push(id);
    this.labels.push(shared);
    return shared;
  }
}
