/**
 * The six KPIs of ../shared/LABELS.md: their values, types, and the rules that
 * tie them together. Every stage speaks these types.
 */

export const LABEL_VALUES = {
  sentiment: ['negatif', 'neutre', 'positif'],
  is_claim: ['oui', 'non'],
  urgence: ['faible', 'moyenne', 'haute', 'critique'],
  topics: ['fibre', 'mobile', 'tv', 'facture', 'sav', 'reseau', 'autre'],
  incident: [
    'information',
    'panne_technique',
    'degradation_service',
    'facturation',
    'processus_sav',
    'infrastructure_reseau',
    'autre_reclamation',
  ],
} as const;

export type LabelName = keyof typeof LABEL_VALUES;
export const LABEL_NAMES = Object.keys(LABEL_VALUES) as LabelName[];

export type Sentiment = (typeof LABEL_VALUES.sentiment)[number];
export type IsClaim = (typeof LABEL_VALUES.is_claim)[number];
export type Urgence = (typeof LABEL_VALUES.urgence)[number];
export type Topic = (typeof LABEL_VALUES.topics)[number];
export type Incident = (typeof LABEL_VALUES.incident)[number];

export type LabelValue<L extends LabelName> = (typeof LABEL_VALUES)[L][number];

/**
 * Every value of every label has a slot in flat score arrays; a label's slots
 * are contiguous, in LABEL_VALUES order (rules and model score into these).
 */
export const FIRST_SLOT = {} as Record<LabelName, number>;
let slots = 0;
for (const label of LABEL_NAMES) {
  FIRST_SLOT[label] = slots;
  slots += LABEL_VALUES[label].length;
}
export const SLOT_COUNT = slots;

export function slotOf(label: LabelName, value: string): number {
  const index = (LABEL_VALUES[label] as readonly string[]).indexOf(value);
  if (index < 0) throw new Error(`"${value}" is not a value of ${label}`);
  return FIRST_SLOT[label] + index;
}

/** The five categorical labels plus `confidence` in [0, 1]. */
export interface Labels {
  sentiment: Sentiment;
  is_claim: IsClaim;
  urgence: Urgence;
  topics: Topic;
  incident: Incident;
  confidence: number;
}

/** What a row that could not be classified gets: nothing to act on, zero confidence. */
export const CAUTIOUS_LABELS: Readonly<Labels> = Object.freeze({
  sentiment: 'neutre',
  is_claim: 'non',
  urgence: 'faible',
  topics: 'autre',
  incident: 'information',
  confidence: 0,
});

const URGENCE_RANK: Record<Urgence, number> = { faible: 0, moyenne: 1, haute: 2, critique: 3 };

/**
 * LABELS.md's consistency rules, applied to any labels whatever produced them:
 * a claim is never `information` and is at least `moyenne`; a non-claim that
 * names an incident (someone else's outage) is at least `moyenne` too.
 */
export function enforceConsistency(labels: Labels, fallbackIncident: Incident = 'autre_reclamation'): Labels {
  let { incident, urgence } = labels;
  if (labels.is_claim === 'oui' && incident === 'information') incident = fallbackIncident;
  if ((labels.is_claim === 'oui' || incident !== 'information') && URGENCE_RANK[urgence] < URGENCE_RANK.moyenne) {
    urgence = 'moyenne';
  }
  return incident === labels.incident && urgence === labels.urgence ? labels : { ...labels, incident, urgence };
}

/** True when the labels obey LABELS.md's rules (used by tests and `evaluate`). */
export function isConsistent(labels: Labels): boolean {
  if (labels.is_claim === 'oui' && (labels.incident === 'information' || labels.urgence === 'faible')) return false;
  return labels.confidence >= 0 && labels.confidence <= 1;
}
