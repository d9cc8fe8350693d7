/**
 * `fmc feedback export`: the corrections people made, as labelled JSONL that
 * `fmc train` reads (`--written FILE`: in every training fold, never validated on).
 * A text corrected several times counts once, with its latest labels.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { z } from 'zod';
import { LABEL_NAMES } from '../labels.js';
import { DataDir, parseSince, withStore } from './accounts.js';

const FeedbackExportOptions = DataDir.extend({ out: z.string().min(1), since: z.string().min(1).optional() });

interface CorrectionRow {
  id: number | string;
  tweet_id: string;
  text: string;
  after: string;
  author: string;
  at: string;
}

export async function feedbackExportCommand(rawOptions: unknown): Promise<void> {
  const options = FeedbackExportOptions.parse(rawOptions);
  const since = parseSince(options.since);
  const rows = await withStore(options, (sql) =>
    sql.all<CorrectionRow>('SELECT id, tweet_id, text, after, author, at FROM corrections WHERE at >= ? ORDER BY at, id', [since?.toISOString() ?? '']),
  );
  const latest = new Map<string, CorrectionRow>();
  for (const row of rows) latest.set(row.text, row);
  const out = createWriteStream(options.out);
  for (const row of latest.values()) {
    const labels = JSON.parse(row.after) as Record<string, string>;
    const example = { id: `correction-${row.id}`, text: row.text, ...Object.fromEntries(LABEL_NAMES.map((label) => [label, labels[label]])), tweet_id: row.tweet_id, corrected_by: row.author, corrected_at: row.at };
    if (!out.write(`${JSON.stringify(example)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  process.stderr.write(`${latest.size} corrected tweets written to ${options.out} (${rows.length} corrections); train on them with fmc train … --written ${options.out}\n`);
}
