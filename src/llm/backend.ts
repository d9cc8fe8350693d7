/**
 * The two ways to reach an LLM: Ollama's `/api/chat` through the official
 * `ollama` library, with `format` set to the answer's JSON schema; and any
 * OpenAI-compatible server (vLLM, llama.cpp, LM Studio) through the `openai`
 * library, with `response_format` json_schema. Both at temperature 0, both
 * with a per-request timeout; retries are the caller's (see `phase.ts`).
 */
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import type { FmcConfig } from '../config/index.js';

export interface ChatAnswer {
  content: string;
  tokensIn: number;
  tokensOut: number;
}

export interface LlmBackend {
  /** Model and address, for messages. */
  readonly description: string;
  chat(system: string, user: string, schema: object): Promise<ChatAnswer>;
  /** Names of the models the server has. */
  models(): Promise<string[]>;
  /** Whether the configured model can answer; a missing one throws `LlmUnavailableError`. */
  assertModelAvailable(): Promise<void>;
}

/** The LLM cannot be used at all: unreachable, or the model is missing. */
export class LlmUnavailableError extends Error {
  override name = 'LlmUnavailableError';
}

/** An HTTP error status from the server, kept so retries can tell 5xx from 4xx. */
export class LlmHttpError extends Error {
  override name = 'LlmHttpError';
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

function statusOf(error: unknown): number | undefined {
  const candidate = error as { status_code?: unknown; status?: unknown };
  const status = candidate.status_code ?? candidate.status;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const detail = cause?.code ?? cause?.message;
  return detail === undefined ? error.message : `${error.message} (${detail})`;
}

/** Library errors as `LlmHttpError` (with status) or a plain Error naming the cause. */
function normalise(error: unknown): Error {
  const status = statusOf(error);
  if (status !== undefined) return new LlmHttpError(`HTTP ${status}: ${messageOf(error)}`, status);
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError' || error.name === 'APIConnectionTimeoutError')) {
    return Object.assign(new Error('request timed out'), { name: 'TimeoutError' });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * fetch with a timeout; a non-JSON error body (a proxy's HTML page) becomes
 * Ollama's JSON error shape, because the library prints such bodies on stdout.
 */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const signal = init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const response = await fetch(input, { ...init, signal });
    if (response.ok || response.headers.get('content-type')?.includes('application/json')) return response;
    const text = (await response.text()).slice(0, 200);
    return new Response(JSON.stringify({ error: text || response.statusText }), { status: response.status, headers: { 'content-type': 'application/json' } });
  };
}

function chatMessages(system: string, user: string) {
  return [
    { role: 'system' as const, content: system },
    { role: 'user' as const, content: user },
  ];
}

function ollamaBackend(settings: FmcConfig['llm']): LlmBackend {
  const client = new Ollama({ host: settings.url, fetch: fetchWithTimeout(settings.timeoutSeconds * 1000) });
  return {
    description: `model ${settings.model} on ${settings.url}`,
    async chat(system, user, schema) {
      try {
        const response = await client.chat({
          model: settings.model,
          messages: chatMessages(system, user),
          format: schema,
          stream: false,
          options: { temperature: 0 },
        });
        return { content: response.message.content, tokensIn: response.prompt_eval_count ?? 0, tokensOut: response.eval_count ?? 0 };
      } catch (error) {
        throw normalise(error);
      }
    },
    async models() {
      try {
        return (await client.list()).models.map((model) => model.name);
      } catch (error) {
        throw new LlmUnavailableError(`cannot reach Ollama at ${settings.url}: ${messageOf(normalise(error))}; start it with \`ollama serve\` or use --mode fast`);
      }
    },
    async assertModelAvailable() {
      try {
        await client.show({ model: settings.model });
      } catch (error) {
        if (statusOf(error) === 404) throw new LlmUnavailableError(`model ${settings.model} not found on ${settings.url}: run \`ollama pull ${settings.model}\``);
        throw new LlmUnavailableError(`cannot reach Ollama at ${settings.url}: ${messageOf(normalise(error))}; start it with \`ollama serve\` or use --mode fast`);
      }
    },
  };
}

function openAiBackend(settings: FmcConfig['llm']): LlmBackend {
  const client = new OpenAI({
    baseURL: settings.url,
    // Local servers ignore the key, but the library requires one.
    apiKey: settings.apiKey ?? 'not-needed',
    timeout: settings.timeoutSeconds * 1000,
    maxRetries: 0,
  });
  const unreachable = (error: unknown) =>
    new LlmUnavailableError(`cannot reach the OpenAI-compatible server at ${settings.url}: ${messageOf(normalise(error))}; check --llm-url or use --mode fast`);
  const models = async (): Promise<string[]> => {
    try {
      const names: string[] = [];
      for await (const model of client.models.list()) names.push(model.id);
      return names;
    } catch (error) {
      throw unreachable(error);
    }
  };
  return {
    description: `model ${settings.model} on ${settings.url} (OpenAI-compatible)`,
    async chat(system, user, schema) {
      try {
        const response = await client.chat.completions.create({
          model: settings.model,
          temperature: 0,
          messages: chatMessages(system, user),
          response_format: { type: 'json_schema', json_schema: { name: 'tweet_labels', schema: schema as Record<string, unknown>, strict: true } },
        });
        return { content: response.choices[0]?.message.content ?? '', tokensIn: response.usage?.prompt_tokens ?? 0, tokensOut: response.usage?.completion_tokens ?? 0 };
      } catch (error) {
        throw normalise(error);
      }
    },
    models,
    async assertModelAvailable() {
      const names = await models();
      // Some servers (llama.cpp) serve one model under any name; only a list that names others is a mismatch.
      if (names.length > 1 && !names.includes(settings.model)) {
        throw new LlmUnavailableError(`model ${settings.model} not found on ${settings.url}: it serves ${names.join(', ')}`);
      }
    },
  };
}

export function createBackend(settings: FmcConfig['llm']): LlmBackend {
  return settings.provider === 'ollama' ? ollamaBackend(settings) : openAiBackend(settings);
}
