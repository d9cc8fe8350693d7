/**
 * The prompt (one versioned file, `prompts/classify-v1.md`), the JSON schema
 * the answer must follow, and the reading of an answer. The prompt's version
 * and content hash are part of the LLM's cache key.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LABEL_VALUES, type Labels } from '../labels.js';

const PROMPT_NAME = 'classify-v1';
const PROMPT_PATH = fileURLToPath(new URL(`../../prompts/${PROMPT_NAME}.md`, import.meta.url));

export const SYSTEM_PROMPT = readFileSync(PROMPT_PATH, 'utf8');
/** `classify-v1-<8 hex of the file>`: an edited prompt never reads old answers. */
export const PROMPT_VERSION = `${PROMPT_NAME}-${createHash('sha256').update(SYSTEM_PROMPT).digest('hex').slice(0, 8)}`;

export interface PromptTweet {
  /** Position in the batch, as a string: short, and impossible to confuse with tweet ids. */
  id: string;
  text: string;
}

export function userMessage(tweets: readonly PromptTweet[]): string {
  return `Tweets à étiqueter (${tweets.length}) :\n${tweets.map((tweet) => JSON.stringify({ id: tweet.id, texte: tweet.text })).join('\n')}`;
}

const ITEM_PROPERTIES = {
  id: { type: 'string' },
  sentiment: { type: 'string', enum: LABEL_VALUES.sentiment },
  is_claim: { type: 'string', enum: LABEL_VALUES.is_claim },
  urgence: { type: 'string', enum: LABEL_VALUES.urgence },
  topics: { type: 'string', enum: LABEL_VALUES.topics },
  incident: { type: 'string', enum: LABEL_VALUES.incident },
  confidence: { type: 'number', minimum: 0, maximum: 1 },
};

/** Sent as Ollama's `format` and OpenAI's `response_format.json_schema.schema`. */
export const ANSWER_SCHEMA = {
  type: 'object',
  properties: {
    tweets: {
      type: 'array',
      items: { type: 'object', properties: ITEM_PROPERTIES, required: Object.keys(ITEM_PROPERTIES), additionalProperties: false },
    },
  },
  required: ['tweets'],
  additionalProperties: false,
} as const;

const AnswerItem = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  sentiment: z.enum(LABEL_VALUES.sentiment),
  is_claim: z.enum(LABEL_VALUES.is_claim),
  urgence: z.enum(LABEL_VALUES.urgence),
  topics: z.enum(LABEL_VALUES.topics),
  incident: z.enum(LABEL_VALUES.incident),
  confidence: z.number().min(0).max(1),
});

export interface ReadAnswer {
  /** Valid labels by batch id. */
  labels: Map<string, Labels>;
  /** Ids in the answer that were not asked about. */
  unexpected: number;
  /** Why the answer as a whole could not be read, if it could not. */
  problem?: string;
}

/** Reads an answer item by item: one bad item does not spoil the others. */
export function readAnswer(content: string, askedIds: ReadonlySet<string>): ReadAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return { labels: new Map(), unexpected: 0, problem: 'answer is not JSON' };
  }
  const items = (parsed as { tweets?: unknown })?.tweets;
  if (!Array.isArray(items)) return { labels: new Map(), unexpected: 0, problem: 'answer has no "tweets" array' };
  const labels = new Map<string, Labels>();
  let unexpected = 0;
  for (const item of items) {
    const result = AnswerItem.safeParse(item);
    if (!result.success) continue;
    const { id, ...rest } = result.data;
    if (!askedIds.has(id)) unexpected++;
    else if (!labels.has(id)) labels.set(id, rest);
  }
  return { labels, unexpected };
}
