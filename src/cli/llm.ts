/** `fmc llm check`: is the LLM there, what does it have, how long does one structured request take. */
import { loadConfig } from '../config/index.js';
import { configFlags, SettingsFlags } from './settings.js';
import { createBackend, createLlmClassifier } from '../llm/index.js';

const LlmCheckOptions = SettingsFlags;

const PROBE_TWEET = "plus d'internet depuis ce matin, la box clignote en rouge";

export async function llmCheckCommand(rawOptions: unknown): Promise<void> {
  const options = LlmCheckOptions.parse(rawOptions);
  const { llm: settings } = loadConfig({ flags: configFlags(options) });
  const backend = createBackend(settings);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const models = await backend.models();
  out(`${settings.provider} at ${settings.url}: answers; ${models.length} model${models.length === 1 ? '' : 's'}${models.length > 0 ? `: ${models.join(', ')}` : ''}`);
  await backend.assertModelAvailable();
  out(`model ${settings.model}: available`);
  // One tweet, no retry: the time of a single structured request as the pipeline makes it.
  const classifier = createLlmClassifier(backend, { ...settings, retries: 0, batchSize: 1, concurrency: 1 });
  const started = performance.now();
  const [labels] = await classifier.classify([PROBE_TWEET]);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  if (labels === undefined) {
    const reasons = Object.keys(classifier.stats.fallbacks).join('; ');
    out(`one structured request: ${seconds} s, no usable answer (${reasons})`);
    process.exitCode = 1;
    return;
  }
  const { tokensIn, tokensOut } = classifier.stats;
  out(`one structured request: ${seconds} s, ${tokensIn} tokens in, ${tokensOut} out; answer: ${labels.sentiment}, ${labels.is_claim}, ${labels.urgence}, ${labels.topics}, ${labels.incident} (confidence ${labels.confidence})`);
}
