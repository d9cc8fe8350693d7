/**
 * Settings, validated at the edge: command-line flags win over environment
 * variables, which win over the config file (`fmc.config.json` in the
 * working directory, or `--config FILE` / `FMC_CONFIG`), which wins over the
 * defaults. Every command reads its settings through `loadConfig`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { LLM_PROVIDERS } from './providers.js';

export { LLM_PROVIDERS };

export const DEFAULT_CONFIG_FILE = 'fmc.config.json';

const LlmSettings = z.object({
  provider: z.enum(LLM_PROVIDERS).default('ollama'),
  model: z.string().min(1).default('mistral'),
  /** Ollama's address, or the base URL (…/v1) of an OpenAI-compatible server. */
  url: z.string().url().optional(),
  apiKey: z.string().min(1).optional(),
  /** Share of the unique tweets `balanced` sends to the LLM. */
  budget: z.coerce.number().gt(0).max(1).default(0.2),
  /** `balanced` sends at least this many tweets where there are that many. */
  minSample: z.coerce.number().int().nonnegative().default(100),
  batchSize: z.coerce.number().int().min(1).max(100).default(20),
  concurrency: z.coerce.number().int().min(1).max(64).default(2),
  timeoutSeconds: z.coerce.number().positive().default(120),
  /** Retries of a request after a 5xx, a network error or a timeout, with exponential backoff. */
  retries: z.coerce.number().int().nonnegative().max(10).default(2),
  backoffMs: z.coerce.number().int().nonnegative().default(500),
  /** Consecutive failed requests after which no more are sent in a run. */
  breakerThreshold: z.coerce.number().int().min(1).default(3),
});
export type LlmSettings = z.infer<typeof LlmSettings>;

const FileConfig = z
  .object({
    dataDir: z.string().min(1).optional(),
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
    redisUrl: z.string().regex(/^rediss?:\/\//, 'a redis:// URL').optional(),
    llm: LlmSettings.partial().strict().optional(),
  })
  .strict();

export interface FmcConfig {
  dataDir: string | undefined;
  /** The distributed mode: PostgreSQL for runs, rows and the shared cache, and Redis for the work queue (both, or neither). */
  cluster: { databaseUrl: string; redisUrl: string } | undefined;
  llm: LlmSettings & { url: string };
}

/** A duration as people write it: `30m`, `1h`, `1.5h`, `7d` → milliseconds; undefined for anything else. */
export function durationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([mhd])$/.exec(text.trim());
  return match === null ? undefined : Number(match[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
}

/** A point in time given as an age back from `now` (30m, 24h, 7d) or a date (2026-12-01, ISO time); undefined when it is neither. */
export function sinceTime(text: string, now = Date.now()): number | undefined {
  const age = durationMs(text);
  if (age !== undefined) return now - age;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `OLLAMA_HOST` may be `host`, `host:port` or a URL; read as Ollama reads it (port 11434 unless https). */
export function normaliseOllamaHost(host: string): string {
  const url = new URL(/^https?:\/\//.test(host) ? host : `http://${host}`);
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (url.port === '' && url.protocol === 'http:') url.port = '11434';
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function fromEnvironment(env: NodeJS.ProcessEnv): Partial<Record<keyof LlmSettings, string>> {
  const pick = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  return Object.fromEntries(
    Object.entries({
      provider: pick('FMC_LLM_PROVIDER'),
      model: pick('FMC_LLM_MODEL'),
      url: pick('FMC_LLM_URL'),
      apiKey: pick('FMC_LLM_API_KEY') ?? pick('OPENAI_API_KEY'),
      budget: pick('FMC_LLM_BUDGET'),
      batchSize: pick('FMC_LLM_BATCH_SIZE'),
      concurrency: pick('FMC_LLM_CONCURRENCY'),
      timeoutSeconds: pick('FMC_LLM_TIMEOUT'),
      retries: pick('FMC_LLM_RETRIES'),
      backoffMs: pick('FMC_LLM_BACKOFF_MS'),
      breakerThreshold: pick('FMC_LLM_BREAKER'),
    }).filter(([, value]) => value !== undefined),
  );
}

function readConfigFile(path: string | undefined): z.infer<typeof FileConfig> {
  const file = path ?? DEFAULT_CONFIG_FILE;
  if (!existsSync(file)) {
    if (path !== undefined) throw new ConfigError(`config file ${path} does not exist`);
    return {};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = FileConfig.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`config file ${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

export interface ConfigSources {
  /** Flags given on the command line (undefined when not given). */
  flags?: { dataDir?: string | undefined; configFile?: string | undefined; databaseUrl?: string | undefined; redisUrl?: string | undefined; llm?: Partial<Record<keyof LlmSettings, string | number | undefined>> };
  env?: NodeJS.ProcessEnv;
}

export function loadConfig({ flags = {}, env = process.env }: ConfigSources = {}): FmcConfig {
  const file = readConfigFile(flags.configFile ?? env.FMC_CONFIG);
  const given = Object.fromEntries(Object.entries(flags.llm ?? {}).filter(([, value]) => value !== undefined));
  const merged = { ...file.llm, ...fromEnvironment(env), ...given };
  const parsed = LlmSettings.safeParse(merged);
  if (!parsed.success) throw new ConfigError(`LLM settings: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  const llm = parsed.data;
  const url =
    llm.url ?? (llm.provider === 'ollama' ? normaliseOllamaHost(env.OLLAMA_HOST ?? '127.0.0.1:11434') : 'http://127.0.0.1:8080/v1');
  const databaseUrl = flags.databaseUrl ?? (env.FMC_DATABASE_URL || undefined) ?? file.databaseUrl;
  const redisUrl = flags.redisUrl ?? (env.FMC_REDIS_URL || undefined) ?? file.redisUrl;
  if ((databaseUrl === undefined) !== (redisUrl === undefined)) {
    throw new ConfigError(`the distributed mode needs both a database URL and a Redis URL (--database-url and --redis-url, or FMC_DATABASE_URL and FMC_REDIS_URL); only the ${databaseUrl === undefined ? 'Redis' : 'database'} one is set`);
  }
  const cluster = databaseUrl === undefined || redisUrl === undefined ? undefined : { databaseUrl, redisUrl };
  return { dataDir: flags.dataDir ?? env.FMC_DATA_DIR ?? file.dataDir, cluster, llm: { ...llm, url: url.replace(/\/+$/, '') } };
}
