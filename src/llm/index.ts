/** The LLM phase: which tweets go to the LLM, how it is asked, how it is reached. */
export { createBackend, LlmHttpError, LlmUnavailableError, type LlmBackend } from './backend.js';
export { createLlmClassifier, type LlmClassifier, type LlmStats } from './phase.js';
export { PROMPT_VERSION } from './prompt.js';
export { selectForLlm, type SampleCandidate } from './sample.js';
