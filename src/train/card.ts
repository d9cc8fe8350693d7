/** The model card written beside a trained model: what it learned from, how, and how well. */
import { LABEL_NAMES } from '../labels.js';
import type { ModelHeader } from '../classify/model.js';
import { PLACE_NAMES } from '../classify/place-names.js';
import type { EvaluationReport } from './metrics.js';
import type { TrainOptions } from './train.js';

export function modelCard(header: ModelHeader, fileBytes: number, dev: EvaluationReport | undefined, date: string): string {
  const training = header.training as { examples?: number; trainFile?: string; trainSha256?: string; devFile?: string; options?: TrainOptions };
  const lines = [
    `# Model card: ${header.name}`,
    '',
    `Trained ${date} by \`fmc train\`. File: \`${header.name}.fmcmodel\`, ${(fileBytes / 2 ** 20).toFixed(1)} MB, weights SHA-256 \`${header.weightsSha256.slice(0, 16)}…\`.`,
    '',
    '## Data',
    `- Training: \`${training.trainFile}\`, ${training.examples} labelled tweets (SHA-256 of the file \`${String(training.trainSha256).slice(0, 16)}…\`). French tweets about the operator, labelled following LABELS.md. The texts are not in the repository.`,
    `- Dev (reported below, used only to choose hyper-parameters): \`${training.devFile ?? 'none'}\`.`,
    '',
    '## Model',
    '- One softmax regression per label (sentiment, is_claim, urgence, topics, incident) over shared hashed features:',
    `  word unigrams and bigrams, character ${header.features.charNgramMin}–${header.features.charNgramMax}-grams inside words (accent-folded),`,
    `  the firings of the French rules (with ${PLACE_NAMES.length.toLocaleString('en')} French towns, departments and regions from the official list, for outages told by place),`,
    '  emoji and operator-account signals, length and punctuation;',
    `  2^${header.features.hashBits} buckets. A character n-gram counts ${header.features.charWeight}, a rule firing ${header.features.ruleWeight}, any other feature 1; each tweet's vector is scaled to unit length.`,
    `- AdaGrad with L2, class weights (share^-power) for the rare values; each fit is the mean of ${training.options?.averagedFits ?? 1} runs with different seeded shuffles, and the weights blend the fit on all the data with the mean of the ${training.options?.folds ?? 5} fold fits (share ${training.options?.foldShare ?? 0} to the folds): the same data gives the same file. Stored as 8-bit integers with a scale per label value (dev macro-F1 unchanged to within 0.001).`,
    '- Decoding picks the most probable (is_claim, incident, urgence) combination that LABELS.md allows.',
    `- Calibration on 5-fold out-of-fold predictions of the training set: temperatures ${LABEL_NAMES.map((label) => `${label} ${header.adjustment.temperatures[label]}`).join(', ')}; per-value biases tuned for each label's out-of-fold macro-F1; then an isotonic map from the mean probability of the chosen labels to the share of right labels (\`confidence\`).`,
    `- Hyper-parameters (chosen by 4-fold cross-validation on the training set, then checked on dev): \`${JSON.stringify(training.options)}\`.`,
    '',
  ];
  if (dev !== undefined) {
    lines.push('## Dev metrics', '', `${dev.examples} tweets. Mean macro-F1 **${dev.meanMacroF1}**, ECE of confidence **${dev.ece}**, LABELS.md consistency ${dev.consistency * 100}%.`, '');
    lines.push('| label | macro-F1 | accuracy |', '|---|---|---|');
    for (const label of LABEL_NAMES) lines.push(`| ${label} | ${dev.labels[label].macroF1} | ${dev.labels[label].accuracy} |`);
    lines.push('');
    const weak = LABEL_NAMES.flatMap((label) => Object.entries(dev.labels[label].classes).filter(([, figures]) => figures.f1 < 0.4).map(([value, figures]) => `${label}=${value} (F1 ${figures.f1}, ${figures.support} dev examples)`));
    lines.push('## Known weaknesses', '');
    lines.push(`- Classes it gets mostly wrong on dev: ${weak.length > 0 ? weak.join('; ') : 'none below F1 0.4'}.`);
  }
  lines.push(
    '- Few examples of `positif`, `mobile`, `tv`, `facturation` and `autre_reclamation`: expect low recall there.',
    '- Sarcasm ("bravo free, 3 jours sans internet") is learned only from the few examples the data has.',
    '- A bag of n-grams: no word order beyond bigrams, no world knowledge.',
    '',
  );
  return lines.join('\n');
}
