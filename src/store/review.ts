/**
 * The review queue: the rows no person has looked at yet, most instructive
 * first. A correction teaches most where the model was least sure (low
 * confidence) and where it chose a value it rarely chooses (a rare value of
 * the scope is where a confusion costs a class its recall). The score is one
 * SQL expression that SQLite and PostgreSQL both run over the unique,
 * readable rows of one run or of every run, with the rare values' bonuses
 * written in from the scope's counts.
 */
import { LABEL_NAMES, LABEL_VALUES, type LabelName } from '../labels.js';
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

/** Rows of the scope per value of each label, and per label source. */
export type ScopeCounts = Record<LabelName | 'label_source', Record<string, number>>;

/** The columns the scope's rows are counted by, in one `GROUP BY` (one scan: a few hundred combinations at most). */
export const COUNTED_COLUMNS = [...LABEL_NAMES, 'label_source'] as const;

/** Per column, per value, from the rows of `SELECT <COUNTED_COLUMNS>, COUNT(*) AS n … GROUP BY` all of them. */
export function scopeCounts(groups: ReadonlyArray<Record<(typeof COUNTED_COLUMNS)[number], string> & { n: number }>): ScopeCounts {
  const counts = Object.fromEntries(COUNTED_COLUMNS.map((column) => [column, {}])) as ScopeCounts;
  for (const group of groups) for (const column of COUNTED_COLUMNS) counts[column][group[column]] = (counts[column][group[column]] ?? 0) + Number(group.n);
  return counts;
}

/**
 * `(1 − confidence)` plus, per label, the bonus of the chosen value by its
 * share of the scope's rows, over the columns of the table `alias` names.
 * Only LABELS.md's values are written into it.
 */
export function reviewScoreSql(counts: ScopeCounts, alias = ''): string {
  const column = (name: string): string => (alias === '' ? name : `${alias}.${name}`);
  const total = Object.values(counts.label_source).reduce((sum, n) => sum + n, 0);
  const bonuses = LABEL_NAMES.map((label) => {
    const cases = (LABEL_VALUES[label] as readonly string[]).flatMap((value) => {
      const share = (counts[label][value] ?? 0) / Math.max(1, total);
      const bonus = RARE_VALUE_BONUS.find((rare) => share < rare.share)?.bonus;
      return bonus === undefined ? [] : [`WHEN '${value}' THEN ${bonus}`];
    });
    return cases.length === 0 ? '0' : `CASE ${column(label)} ${cases.join(' ')} ELSE 0 END`;
  });
  return `(1 - ${column('confidence')}) + ${bonuses.join(' + ')}`;
}

/** Reviewed and still to review, from the scope's counts. */
export function reviewProgress(counts: ScopeCounts): Pick<ReviewQueue, 'reviewed' | 'toReview'> {
  const reviewed = counts.label_source.human ?? 0;
  return { reviewed, toReview: Object.values(counts.label_source).reduce((sum, n) => sum + n, 0) - reviewed };
}
