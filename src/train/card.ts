/** The model card written beside a trained model: what it learned from, how, and how well. */
import { LABEL_NAMES, type LabelName } from '../labels.js';
import type { ModelHeader } from '../classify/model.js';
import { PLACES } from '../classify/place-names.js';
import type { EvaluationReport } from './metrics.js';
import { summarise, type LabelWeights, type TrainOptions } from './train.js';

type Summary = ReturnType<typeof summarise>;

/** What `fmc train` measured, beyond the shipped model's own header. */
export interface CardFigures {
  /** Dev figures of the model trained without dev. */
  devReport: EvaluationReport | undefined;
  /** Cross-validation of the same settings trained on the real tweets alone (when paraphrases or written tweets were used). */
  realOnly: Summary | undefined;
  /** Header of the model trained without dev (the shipped one, unless dev was added afterwards). */
  trainedWithoutDev: ModelHeader;
}

interface TrainingInfo {
  files?: Array<{ name: string; sha256: string; rows: number }>;
  devFile?: { name: string; rows: number };
  devIncluded?: boolean;
  examples?: number;
  real?: number;
  paraphrases?: number;
  written?: number;
  extra?: number;
  options?: TrainOptions;
  crossValidation?: Summary;
}

/** `1`, or `1 (is_claim 0.5)` when labels differ from the first. */
function describeWeights(weights: LabelWeights | undefined): string {
  if (weights === undefined) return '1';
  const first = weights[LABEL_NAMES[0] as LabelName];
  const others = LABEL_NAMES.filter((label) => weights[label] !== first).map((label) => `${label} ${weights[label]}`);
  return others.length === 0 ? String(first) : `${first} (${others.join(', ')})`;
}

const row = (name: string, summary: Summary | undefined): string =>
  summary === undefined ? '' : `| ${name} | **${summary.meanMacroF1}** | ${LABEL_NAMES.map((label) => summary.macroF1[label]).join(' | ')} | ${summary.ece} |`;

export function modelCard(header: ModelHeader, fileBytes: number, figures: CardFigures, date: string): string {
  const training = header.training as TrainingInfo;
  const withoutDev = figures.trainedWithoutDev.training as TrainingInfo;
  const options = training.options;
  const dev = figures.devReport;
  const lines = [
    `# Model card: ${header.name}`,
    '',
    `Trained ${date} by \`fmc train\`. File: \`${header.name}.fmcmodel\`, ${(fileBytes / 2 ** 20).toFixed(1)} MB, weights SHA-256 \`${header.weightsSha256.slice(0, 16)}…\`.`,
    '',
    '## Data',
    ...(training.files ?? []).map((file) => `- \`${file.name}\`: ${file.rows} labelled tweets (SHA-256 \`${file.sha256}…\`).`),
    `- ${training.real} real tweets (French tweets about the operator, labelled following LABELS.md), ${training.paraphrases} paraphrases of real tweets and ${training.written} written tweets (composed for the project by an LLM annotator in the style of the real export and labelled as written). The texts are not in the repository.`,
    ...((training.extra ?? 0) > 0 ? [`- ${training.extra} tweets labelled by the care team (their corrections, \`--extra\`), trained on like written tweets; one corrected text in five is held out to judge the model and never trained on.`] : []),
    `- In the loss a real tweet weighs 1, a paraphrase ${describeWeights(options?.originWeights.paraphrase)}, a written tweet ${describeWeights(options?.originWeights.written)}${(training.extra ?? 0) > 0 ? `, a corrected tweet ${describeWeights(options?.originWeights.extra)}` : ''}.`,
    training.devIncluded === true
      ? `- Dev (\`${training.devFile?.name}\`, ${training.devFile?.rows} real tweets): the figures below are those of the same settings trained without it; the shipped weights were then trained on train + dev.`
      : `- Dev (\`${training.devFile?.name ?? 'none'}\`): reported below, never trained on.`,
    '- Only real tweets are validated on: written tweets are in every training fold and no validation fold, and a paraphrase is in its source tweet\'s fold.',
    '',
    '## Model',
    '- One softmax regression per label (sentiment, is_claim, urgence, topics, incident) over shared hashed features:',
    `  word unigrams and bigrams, character ${header.features.charNgramMin}–${header.features.charNgramMax}-grams inside words (accent-folded),`,
    `  the firings of the French rules (with ${PLACES.size.toLocaleString('en')} French towns, departments and regions from the official list, for outages told by place),`,
    '  emoji and operator-account signals, length and punctuation;',
    `  2^${header.features.hashBits} buckets. A character n-gram counts ${header.features.charWeight}, a rule firing ${header.features.ruleWeight}, any other feature 1; each tweet's vector is scaled to unit length.`,
    `- AdaGrad with L2, class weights (share^-power) for the rare values; each fit is the mean of ${options?.averagedFits ?? 1} runs with different seeded shuffles, and the weights blend the fit on all the data with the mean of the ${options?.folds ?? 5} fold fits (share ${options?.foldShare ?? 0} to the folds): the same data gives the same file. Stored as 8-bit integers with a scale per label value.`,
    '- Decoding picks the most probable (is_claim, incident, urgence) combination that LABELS.md allows.',
    `- Calibration on ${options?.folds ?? 5}-fold out-of-fold predictions of the real tweets: temperatures ${LABEL_NAMES.map((label) => `${label} ${header.adjustment.temperatures[label]}`).join(', ')}; per-value biases tuned for each label's out-of-fold macro-F1; then an isotonic map from the mean probability of the chosen labels to the share of right labels (\`confidence\`).`,
    `- Hyper-parameters (chosen by cross-validation on the real training tweets, then checked on dev): \`${JSON.stringify(options)}\`.`,
    '',
    '## Figures',
    '',
    `Cross-validation: ${options?.folds ?? 5} folds of the real training tweets, each predicted by the fit on the other folds (plus every paraphrase and written tweet outside it); the per-value biases of a fold are tuned on the other folds' predictions. Mean macro-F1, then macro-F1 per label, then ECE:`,
    '',
    `| evaluation | mean | ${LABEL_NAMES.join(' | ')} | ECE |`,
    `|---|---|${LABEL_NAMES.map(() => '---|').join('')}---|`,
    row(`cross-validation, ${withoutDev.real} real tweets`, withoutDev.crossValidation),
    row('same folds, trained on real tweets only', figures.realOnly),
    row(`dev, ${dev?.examples} tweets`, dev === undefined ? undefined : summarise(dev)),
    training.devIncluded === true ? row(`cross-validation of the shipped model, ${training.real} real tweets (train + dev)`, training.crossValidation) : '',
    '',
  ].filter((line, i, all) => line !== '' || all[i - 1] !== '');
  if (dev !== undefined) {
    lines.push(`LABELS.md consistency on dev: ${dev.consistency * 100}%.`, '');
    const weak = LABEL_NAMES.flatMap((label) => Object.entries(dev.labels[label].classes).filter(([, figures]) => figures.f1 < 0.4).map(([value, figures]) => `${label}=${value} (F1 ${figures.f1}, ${figures.support} dev examples)`));
    lines.push('## Known weaknesses', '');
    lines.push(`- Classes it gets mostly wrong on dev: ${weak.length > 0 ? weak.join('; ') : 'none below F1 0.4'}.`);
  } else lines.push('## Known weaknesses', '');
  lines.push(
    '- Few real examples of `positif`, `mobile`, `tv`, `facturation` and `autre_reclamation`: the written tweets add some; expect lower recall there.',
    '- Sarcasm ("bravo free, 3 jours sans internet") is learned only from the few examples the data has.',
    '- A bag of n-grams: no word order beyond bigrams, no world knowledge.',
    '',
  );
  return lines.join('\n');
}
