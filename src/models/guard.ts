/**
 * The promotion guard: a candidate model is compared with the default on the
 * held-out corrections (texts no model of the registry trains on) and on dev
 * when there is one, label by label. It is promoted only if no set it is
 * judged on shows a regression beyond the margin.
 */
import { loadClassifier } from '../classify/index.js';
import { LABEL_NAMES, type LabelName } from '../labels.js';
import { scoreClassifier } from '../train/run.js';
import { summarise, type Example } from '../train/train.js';

/** A drop of mean macro-F1 beyond this refuses a promotion; a single label may drop twice as much. */
export const DEFAULT_MARGIN = 0.02;
/** Fewer examples than this and a set is shown, not judged on: its figures move by more than the margin with one tweet. */
export const MIN_JUDGED_EXAMPLES = 10;

export interface Figures {
  meanMacroF1: number;
  macroF1: Record<LabelName, number>;
}

export interface Comparison {
  set: string;
  examples: number;
  current: Figures;
  candidate: Figures;
  judged: boolean;
  /** Why a set is shown and not judged on. */
  note?: string;
  /** What drops beyond the margin, in words; empty when nothing does. */
  regressions: string[];
}

export interface Verdict {
  promotable: boolean;
  /** Why not, or what it was judged on. */
  reason: string;
}

function figures(examples: readonly Example[], modelPath: string | undefined): Figures {
  const { meanMacroF1, macroF1 } = summarise(scoreClassifier(loadClassifier(modelPath), examples));
  return { meanMacroF1, macroF1 };
}

/** Both models' figures on each set, side by side, with the regressions beyond `margin` (`currentPath` undefined: the shipped model). */
export function compareModels(currentPath: string | undefined, candidatePath: string, sets: ReadonlyArray<{ name: string; examples: readonly Example[]; notJudgedBecause?: string | undefined }>, margin = DEFAULT_MARGIN): Comparison[] {
  return sets
    .filter((set) => set.examples.length > 0)
    .map(({ name, examples, notJudgedBecause }) => {
      const current = figures(examples, currentPath);
      const candidate = figures(examples, candidatePath);
      const regressions: string[] = [];
      if (current.meanMacroF1 - candidate.meanMacroF1 > margin) regressions.push(`mean macro-F1 ${current.meanMacroF1} → ${candidate.meanMacroF1}`);
      for (const label of LABEL_NAMES) {
        if (current.macroF1[label] - candidate.macroF1[label] > 2 * margin) regressions.push(`${label} ${current.macroF1[label]} → ${candidate.macroF1[label]}`);
      }
      const note = notJudgedBecause ?? (examples.length < MIN_JUDGED_EXAMPLES ? `fewer than ${MIN_JUDGED_EXAMPLES} tweets` : undefined);
      return { set: name, examples: examples.length, current, candidate, judged: note === undefined, ...(note === undefined ? {} : { note }), regressions };
    });
}

export function verdict(comparisons: readonly Comparison[], margin = DEFAULT_MARGIN): Verdict {
  const judged = comparisons.filter((comparison) => comparison.judged);
  if (judged.length === 0) {
    const shown = comparisons.map((comparison) => `${comparison.set} not judged (${comparison.note})`);
    return { promotable: false, reason: `nothing to judge it on: ${[...shown, ...(comparisons.some((comparison) => comparison.set === 'held-out corrections') ? [] : ['no held-out correction yet'])].join('; ')}` };
  }
  const regressed = judged.filter((comparison) => comparison.regressions.length > 0);
  if (regressed.length > 0) return { promotable: false, reason: `it regresses beyond the margin (${margin}) on ${regressed.map((comparison) => `${comparison.set}: ${comparison.regressions.join(', ')}`).join('; ')}` };
  return { promotable: true, reason: `no regression beyond ${margin} on ${judged.map((comparison) => `${comparison.set} (${comparison.examples})`).join(' and ')}` };
}

/** The comparison side by side, per set and label, as a Markdown table (model cards and the command line). */
export function comparisonTable(comparisons: readonly Comparison[]): string {
  const lines = [`| set | model | mean | ${LABEL_NAMES.join(' | ')} |`, `|---|---|---|${LABEL_NAMES.map(() => '---|').join('')}`];
  for (const comparison of comparisons) {
    const set = `${comparison.set} (${comparison.examples}${comparison.note === undefined ? '' : `, not judged: ${comparison.note}`})`;
    for (const [model, figures] of [['default', comparison.current], ['candidate', comparison.candidate]] as const) {
      lines.push(`| ${set} | ${model} | ${figures.meanMacroF1} | ${LABEL_NAMES.map((label) => figures.macroF1[label]).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}
