/**
 * Corrections as training data: one labelled example per corrected text (its
 * latest labels). One text in five, chosen by its hash, is held out: no model
 * of the registry trains on it, so it judges every model the same way.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { LABEL_NAMES } from '../labels.js';
import type { Sql } from '../store/sql.js';

export interface LabelledCorrection {
  id: string;
  text: string;
  sentiment: string;
  is_claim: string;
  urgence: string;
  topics: string;
  incident: string;
  tweet_id: string;
  corrected_by: string;
  corrected_at: string;
}

interface CorrectionRow {
  id: number | string;
  tweet_id: string;
  text: string;
  after: string;
  author: string;
  at: string;
}

/** The latest correction of each text made since `since`, as labelled examples; and how many corrections there were. */
export async function latestCorrections(sql: Sql, since?: Date): Promise<{ examples: LabelledCorrection[]; corrections: number }> {
  const rows = await sql.all<CorrectionRow>('SELECT id, tweet_id, text, after, author, at FROM corrections WHERE at >= ? ORDER BY at, id', [since?.toISOString() ?? '']);
  const latest = new Map<string, CorrectionRow>();
  for (const row of rows) latest.set(row.text, row);
  const examples = [...latest.values()].map((row): LabelledCorrection => {
    const labels = JSON.parse(row.after) as Record<string, string>;
    return {
      id: `correction-${row.id}`,
      text: row.text,
      ...(Object.fromEntries(LABEL_NAMES.map((label) => [label, labels[label] as string])) as Pick<LabelledCorrection, 'sentiment' | 'is_claim' | 'urgence' | 'topics' | 'incident'>),
      tweet_id: row.tweet_id,
      corrected_by: row.author,
      corrected_at: row.at,
    };
  });
  return { examples, corrections: rows.length };
}

/** One text in five, by its hash: the same text is held out in every retraining. */
export function isHeldOut(text: string): boolean {
  return (createHash('sha1').update(text).digest()[0] as number) % 5 === 0;
}

/** Writes examples as JSONL, the format `fmc train` reads. */
export async function writeJsonl(path: string, examples: readonly object[]): Promise<void> {
  const out = createWriteStream(path);
  for (const example of examples) if (!out.write(`${JSON.stringify(example)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}
