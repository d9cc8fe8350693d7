/** The LLM servers the client speaks to, in a module without dependencies: `fmc --help` lists them without loading zod. */
export const LLM_PROVIDERS = ['ollama', 'openai'] as const;
