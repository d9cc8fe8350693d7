/**
 * The review queue: the rows no person has looked at yet, most instructive
 * first. A correction teaches most where the model was least sure (low
 * confidence) and where it chose a value it rarely chooses (a rare value of
 * the scope is where a confusion costs a class its recall). The score is
 * written once in SQL that SQLite and PostgreSQL both run, over the unique,
 * readable rows of one run or of every run.
 */
import { LABEL_NAMES } from '../labels.js';
import type { OutputRecord } from '../output/index.js';

/** Under these shares of the scope's rows, a chosen value is rare and adds its bonus to the score. */
const RARE_VALUE_BONUS: ReadonlyArray<{ share: number; bonus: number }> = [
  { share: 0.02, bonus: 0.3 },
  { share: 0.1, bonus: 0.15 },
];

export interface ReviewScope {
  /** One run; every finished run when absent. */
  runId?: number | undefined;
}

export interface ReviewItem {
  runId: number;
  position: number;
  record: OutputRecord;
  /** 1 − confidence, plus the rare-value bonuses. */
  score: number;
}

export interface ReviewQueue {
  /** Unique readable rows a person corrected or confirmed (label_source human). */
  reviewed: number;
  /** Those still to review. */
  toReview: number;
  items: ReviewItem[];
}

/** Per label, the bonus of the chosen value by its share of the scope's rows (a window over them). */
function rarityBonus(): string {
  return LABEL_NAMES.map((label) => {
      const share = `(1.0 * COUNT(*) OVER (PARTITION BY ${label}) / COUNT(*) OVER ())`;
      return `CASE ${RARE_VALUE_BONUS.map(({ share: below, bonus }) => `WHEN ${share} < ${below} THEN ${bonus}`).join(' ')} ELSE 0 END`;
  }).join(' + ');
}

/**
 * `SELECT run_id, position, score, label_source` over the rows `candidates`
 * (a subquery of unique readable rows of the scope, with the five label
 * columns, confidence and label_source), most instructive first.
 */
export function reviewScoreSql(candidates: string): string {
  return `SELECT run_id, position, label_source, (1 - confidence) + ${rarityBonus()} AS score FROM (${candidates}) scope`;
}
