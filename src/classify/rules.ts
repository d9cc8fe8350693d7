/**
 * The compiled French rules: cues fire on folded text, their effects add up
 * to scores per label value, and a few decisions that LABELS.md spells out
 * (claims lean negative, operator posts are information…) turn scores into labels.
 */
import { enforceConsistency, FIRST_SLOT, LABEL_NAMES, LABEL_VALUES, SLOT_COUNT, slotOf, type Incident, type LabelName, type LabelValue, type Labels } from '../labels.js';
import { CUES, NEGATIVE_EMOJIS, OPERATOR_ACCOUNTS, POSITIVE_EMOJIS, type CueEffects } from './lexicons.js';
import { mentionsPlace } from './places.js';
import type { ClassifierInput, TweetClassifier } from './types.js';

const RULES_VERSION = 'rules-2';

// Scores live in one flat array, a slot per label value, so scoring a tweet allocates nothing but that array.
/** A cue's effects as (slot, weight) pairs. */
function compileEffects(effects: CueEffects): Array<[number, number]> {
  return LABEL_NAMES.flatMap((label) =>
    Object.entries(effects[label] ?? {}).map(([value, weight]): [number, number] => [slotOf(label, value), weight ?? 0]),
  );
}

interface CompiledCue {
  name: string;
  pattern: RegExp;
  effects: Array<[number, number]>;
}

// Folded text has no accents, so ASCII classes mark word edges; they are several
// times faster than Unicode property escapes on the hot path.
const COMPILED: readonly CompiledCue[] = CUES.map((cue) => ({
  name: cue.name,
  pattern: new RegExp(`(?<![a-z0-9])(?:${cue.terms})(?![a-z0-9])`),
  effects: compileEffects(cue.effects),
}));

const SIGNAL_EFFECTS: Record<string, CueEffects> = {
  negative_emoji: { sentiment: { negatif: 1.2 } },
  positive_emoji: { sentiment: { positif: 1 } },
  operator_account: { is_claim: { non: 4 }, sentiment: { neutre: 1 }, topics: { sav: 0.8 } },
  place: { topics: { reseau: 0.8 }, incident: { infrastructure_reseau: 0.8 } },
};

const EFFECTS_BY_NAME = new Map<string, Array<[number, number]>>([
  ...COMPILED.map((cue): [string, Array<[number, number]>] => [cue.name, cue.effects]),
  ...Object.entries(SIGNAL_EFFECTS).map(([name, effects]): [string, Array<[number, number]>] => [name, compileEffects(effects)]),
]);

const PRIOR = compileEffects({ sentiment: { neutre: 0.3, positif: -0.4 }, is_claim: { non: 0.9 }, topics: { autre: 0.4 } });
const CLAIM_LEANS_NEGATIVE = compileEffects({ sentiment: { negatif: 0.6, positif: -1 } });
const TOPIC_OF_INCIDENT: Partial<Record<Incident, Array<[number, number]>>> = {
  panne_technique: compileEffects({ topics: { fibre: 0.5 } }),
  degradation_service: compileEffects({ topics: { fibre: 0.5 } }),
  processus_sav: compileEffects({ topics: { sav: 0.5 } }),
  facturation: compileEffects({ topics: { facture: 0.6 } }),
  infrastructure_reseau: compileEffects({ topics: { reseau: 0.6 } }),
};

/** Whether a tweet comes from one of the operator's own accounts, which the classifiers read as a signal. */
export function isOperatorAccount(author: string | undefined): boolean {
  return author !== undefined && OPERATOR_ACCOUNTS.has(author.trim().toLowerCase());
}

/** Names of the cues and signals that fire on a tweet; also features of the trained model. */
export function fireCues(input: ClassifierInput): string[] {
  const fired: string[] = [];
  for (const cue of COMPILED) if (cue.pattern.test(input.tweet.folded)) fired.push(cue.name);
  if (input.tweet.emojis.some((emoji) => NEGATIVE_EMOJIS.has(emoji))) fired.push('negative_emoji');
  if (input.tweet.emojis.some((emoji) => POSITIVE_EMOJIS.has(emoji))) fired.push('positive_emoji');
  if (isOperatorAccount(input.author)) fired.push('operator_account');
  if (mentionsPlace(input.tweet.folded)) fired.push('place');
  return fired;
}

function add(scores: Float64Array, effects: ReadonlyArray<[number, number]>): void {
  for (const [slot, weight] of effects) scores[slot] = (scores[slot] as number) + weight;
}

/** The best value of a label, skipping the first `skip` values (used to leave `information` out). */
function best<L extends LabelName>(scores: Float64Array, label: L, skip = 0): { value: LabelValue<L>; score: number } {
  const values = LABEL_VALUES[label] as readonly LabelValue<L>[];
  let bestIndex = skip;
  for (let i = skip + 1; i < values.length; i++) {
    if ((scores[FIRST_SLOT[label] + i] as number) > (scores[FIRST_SLOT[label] + bestIndex] as number)) bestIndex = i;
  }
  return { value: values[bestIndex] as LabelValue<L>, score: scores[FIRST_SLOT[label] + bestIndex] as number };
}

export function applyRules(input: ClassifierInput, fired: readonly string[] = fireCues(input)): Labels {
  const scores = new Float64Array(SLOT_COUNT);
  add(scores, PRIOR);
  for (const name of fired) add(scores, EFFECTS_BY_NAME.get(name) ?? []);
  const has = (name: string): boolean => fired.includes(name);
  const operator = has('operator_account');

  const is_claim = best(scores, 'is_claim').value;
  const claim = is_claim === 'oui';
  if (claim) add(scores, CLAIM_LEANS_NEGATIVE);

  let incident: Incident = 'information';
  if (claim) {
    const problem = best(scores, 'incident', 1);
    incident = problem.score > 0 ? problem.value : 'autre_reclamation';
  } else if (!operator && (has('network') || has('place')) && has('outage')) incident = 'infrastructure_reseau';
  add(scores, TOPIC_OF_INCIDENT[incident] ?? []);

  let urgence: Labels['urgence'] = 'faible';
  if (claim) {
    const haute = scores[slotOf('urgence', 'haute')] as number;
    const critique = scores[slotOf('urgence', 'critique')] as number;
    const vitalOutage = has('outage') && (has('long_duration') || has('vital_need'));
    urgence = vitalOutage || critique >= 1.5 ? 'critique' : haute >= 1 || critique >= 1 ? 'haute' : 'moyenne';
  } else if (!operator && has('question') && has('first_person')) urgence = 'moyenne';

  let decisive = 0;
  for (const name of fired) if (!name.endsWith('_topic')) decisive++;
  const labels: Labels = {
    sentiment: best(scores, 'sentiment').value,
    is_claim,
    urgence,
    topics: best(scores, 'topics').value,
    incident,
    // Few cues means a guess; more agreeing cues, more confidence, never certainty.
    confidence: Math.round((0.35 + 0.45 * (1 - Math.exp(-decisive / 2))) * 1000) / 1000,
  };
  return enforceConsistency(labels);
}

export function createRulesClassifier(): TweetClassifier {
  return { id: RULES_VERSION, classify: (input) => applyRules(input) };
}
