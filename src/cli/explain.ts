/** `fmc explain "text"`: the labels the model gives a tweet, and per label the features that pushed the chosen value most. */
import { z } from 'zod';
import { cleanTweet } from '../clean/index.js';
import { explainWithModel } from '../classify/explain.js';
import { DEFAULT_MODEL_PATH } from '../classify/index.js';
import { loadModel } from '../classify/model.js';
import { loadConfig } from '../config/index.js';
import { LABEL_NAMES } from '../labels.js';
import { ModelRegistry } from '../models/registry.js';
import { resolveDataDir } from '../store/index.js';
import { UsageError } from './errors.js';

const ExplainOptions = z.object({
  model: z.string().min(1).optional(),
  dataDir: z.string().min(1).optional(),
  author: z.string().optional(),
  top: z.coerce.number().int().min(1).max(100).default(6),
  json: z.boolean().default(false),
});

const signed = (weight: number): string => `${weight >= 0 ? '+' : '−'}${Math.abs(weight).toFixed(2)}`;

export async function explainCommand(text: string, rawOptions: unknown): Promise<void> {
  const options = ExplainOptions.parse(rawOptions);
  if (text.trim() === '') throw new UsageError('give the text of a tweet: fmc explain "plus de fibre à Lyon depuis ce matin"');
  // The model named, else the data directory's default (fmc models promote), else the shipped one.
  const dataDir = resolveDataDir(loadConfig({ flags: { dataDir: options.dataDir } }).dataDir);
  const model = loadModel(options.model ?? new ModelRegistry(dataDir).currentPath() ?? DEFAULT_MODEL_PATH);
  const explanation = explainWithModel(model, { tweet: cleanTweet(text), author: options.author }, options.top);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
    return;
  }
  const lines = [
    `rules fired: ${explanation.rules.length === 0 ? 'none' : explanation.rules.join(', ')}`,
    `places: ${explanation.places.length === 0 ? 'none' : explanation.places.map((place) => `${place.name} (${place.kind}${place.departement === '' ? '' : `, ${place.departement}`})`).join(', ')}`,
  ];
  for (const label of LABEL_NAMES) {
    const part = explanation.perLabel[label];
    lines.push(
      '',
      `${label} = ${part.value}, ahead of ${part.against} by ${part.difference.toFixed(2)}`,
      ...part.contributions.map((contribution) => `  ${signed(contribution.weight).padStart(6)}  ${contribution.kind === 'rule' ? `rule ${contribution.feature}` : contribution.kind === 'signal' ? `(${contribution.feature})` : `« ${contribution.feature} »`}`),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
