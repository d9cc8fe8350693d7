/** Command-line flags that are also settings (see `loadConfig`), shared by classify, serve and llm check. */
import { z } from 'zod';
import type { ConfigSources } from '../config/index.js';

/** The flags that are settings: `--data-dir` and those `withLlmOptions` adds (see main.ts). */
export const SettingsFlags = z.object({
  dataDir: z.string().min(1).optional(),
  config: z.string().min(1).optional(),
  databaseUrl: z.string().min(1).optional(),
  redisUrl: z.string().min(1).optional(),
  llmProvider: z.string().optional(),
  llmModel: z.string().optional(),
  llmUrl: z.string().optional(),
  llmBudget: z.string().optional(),
  llmBatchSize: z.string().optional(),
  llmConcurrency: z.string().optional(),
  llmTimeout: z.string().optional(),
});

/** The flags that are settings too (see `loadConfig`): they win over the environment and the config file. */
export function configFlags(options: z.infer<typeof SettingsFlags>): ConfigSources['flags'] {
  return {
    dataDir: options.dataDir,
    configFile: options.config,
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    llm: {
      provider: options.llmProvider,
      model: options.llmModel,
      url: options.llmUrl,
      budget: options.llmBudget,
      batchSize: options.llmBatchSize,
      concurrency: options.llmConcurrency,
      timeoutSeconds: options.llmTimeout,
    },
  };
}
