/**
 * An in-process HTTP server that speaks Ollama's real API (`/api/chat`,
 * `/api/tags`, `/api/show`) and the OpenAI route (`/v1/chat/completions`,
 * `/v1/models`), with switches for the ways a real server fails.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AskedTweet {
  id: string;
  texte: string;
}

/** What the fake answers to one chat request: labels items, raw content, an HTTP error, or silence. */
export type FakeReply =
  | { items: Array<Record<string, unknown>> }
  | { content: string }
  | { status: number; error: string }
  | { hang: true };

export interface ChatRequestSeen {
  route: 'ollama' | 'openai';
  body: Record<string, unknown>;
  tweets: AskedTweet[];
}

export interface FakeLlmOptions {
  models?: string[];
  /** Decides each reply; `request` counts chat requests from 1. Default: `labelsFor` on every tweet. */
  reply?: (tweets: AskedTweet[], request: number) => FakeReply;
  /** Milliseconds before each answer. */
  delayMs?: number;
}

/** The fake's labels: distinctive (confidence 0.42, topic from the text) so a test can tell them from the local ones. */
export function labelsFor(tweet: AskedTweet): Record<string, unknown> {
  const outage = tweet.texte.includes('internet');
  return {
    id: tweet.id,
    sentiment: outage ? 'negatif' : 'positif',
    is_claim: outage ? 'oui' : 'non',
    urgence: outage ? 'critique' : 'faible',
    topics: outage ? 'fibre' : 'tv',
    incident: outage ? 'panne_technique' : 'information',
    confidence: 0.42,
  };
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

function tweetsOf(body: Record<string, unknown>): AskedTweet[] {
  const messages = (body.messages ?? []) as Array<{ role: string; content: string }>;
  const user = messages.find((message) => message.role === 'user')?.content ?? '';
  return user
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as AskedTweet);
}

export async function startFakeLlm(options: FakeLlmOptions = {}) {
  const models = options.models ?? ['mistral:latest'];
  const seen: ChatRequestSeen[] = [];
  let delayMs = options.delayMs ?? 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const reply = options.reply ?? ((tweets) => ({ items: tweets.map(labelsFor) }));
  const hasModel = (name: unknown) => typeof name === 'string' && (models.includes(name) || models.includes(`${name}:latest`));

  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

  async function chat(route: 'ollama' | 'openai', request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (!hasModel(body.model)) {
      send(response, 404, route === 'ollama' ? { error: `model "${String(body.model)}" not found, try pulling it first` } : { error: { message: 'model not found' } });
      return;
    }
    const tweets = tweetsOf(body);
    seen.push({ route, body, tweets });
    const answer = reply(tweets, seen.length);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if ('hang' in answer) {
        await new Promise((resolve) => response.on('close', resolve));
        return;
      }
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if ('status' in answer) {
        send(response, answer.status, route === 'ollama' ? { error: answer.error } : { error: { message: answer.error } });
        return;
      }
      const content = 'content' in answer ? answer.content : JSON.stringify({ tweets: answer.items });
      if (route === 'ollama') {
        send(response, 200, {
          model: body.model,
          created_at: new Date().toISOString(),
          message: { role: 'assistant', content },
          done: true,
          done_reason: 'stop',
          total_duration: 1_000_000,
          prompt_eval_count: 100 * tweets.length,
          eval_count: 30 * tweets.length,
        });
      } else {
        send(response, 200, {
          id: `chatcmpl-${seen.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 100 * tweets.length, completion_tokens: 30 * tweets.length, total_tokens: 130 * tweets.length },
        });
      }
    } finally {
      inFlight--;
    }
  }

  const server = createServer((request, response) => {
    const route = `${request.method} ${request.url}`;
    const handle = async () => {
      if (route === 'GET /api/tags') {
        return send(response, 200, { models: models.map((name) => ({ name, model: name, modified_at: '2026-11-01T00:00:00Z', size: 4_100_000_000, digest: 'f974a74358d6', details: { format: 'gguf', family: 'llama', parameter_size: '7.2B', quantization_level: 'Q4_0' } })) });
      }
      if (route === 'POST /api/show') {
        const body = await readBody(request);
        if (!hasModel(body.model)) return send(response, 404, { error: `model '${String(body.model)}' not found` });
        return send(response, 200, { modelfile: '', parameters: '', template: '', details: { family: 'llama' }, model_info: {} });
      }
      if (route === 'POST /api/chat') return chat('ollama', request, response);
      if (route === 'GET /v1/models') return send(response, 200, { object: 'list', data: models.map((id) => ({ id: id.replace(/:latest$/, ''), object: 'model', owned_by: 'local' })) });
      if (route === 'POST /v1/chat/completions') return chat('openai', request, response);
      return send(response, 404, { error: 'not found' });
    };
    handle().catch((error: unknown) => send(response, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    maxInFlight: () => maxInFlight,
    /** Milliseconds before each answer from now on. */
    setDelay: (ms: number) => {
      delayMs = ms;
    },
    /** Stops answering at once, as a server that is killed. */
    kill: () => {
      server.close();
      server.closeAllConnections();
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
