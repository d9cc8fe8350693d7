/** The LLM phase: which tweets go to the LLM, how it is asked, how it is reached. */
import type { FmcConfig } from '../config/index.js';
import { createBackend } from './backend.js';
import { createLlmClassifier, type LlmClassifier } from './phase.js';

export { createBackend, LlmUnavailableError, type LlmBackend } from './backend.js';
export { createLlmClassifier, emptyLlmStats, type LlmClassifier, type LlmStats } from './phase.js';
export { selectForLlm } from './sample.js';

/** Checked before any work: a missing model or a server that does not answer throws `LlmUnavailableError` here. */
export async function connectLlm(settings: FmcConfig['llm']): Promise<{ classifier: LlmClassifier; budget: number; minSample: number }> {
  const backend = createBackend(settings);
  await backend.assertModelAvailable();
  return { classifier: createLlmClassifier(backend, settings), budget: settings.budget, minSample: settings.minSample };
}
