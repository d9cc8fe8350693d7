/**
 * `fmc feedback export`: the corrections people made, as labelled JSONL that
 * `fmc train` reads (`--extra FILE`: in every training fold, never validated on).
 * A text corrected several times counts once, with its latest labels.
 */
import { z } from 'zod';
import { latestCorrections, writeJsonl } from '../models/corrections.js';
import { DataDir, parseSince, withStore } from './accounts.js';

const FeedbackExportOptions = DataDir.extend({ out: z.string().min(1), since: z.string().min(1).optional() });

export async function feedbackExportCommand(rawOptions: unknown): Promise<void> {
  const options = FeedbackExportOptions.parse(rawOptions);
  const since = parseSince(options.since);
  const { examples, corrections } = await withStore(options, (sql) => latestCorrections(sql, since));
  await writeJsonl(options.out, examples);
  process.stderr.write(`${examples.length} corrected tweets written to ${options.out} (${corrections} corrections); train on them with fmc train … --extra ${options.out}\n`);
}
