import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { loadConfig, normaliseOllamaHost } from '../src/config/index.js';
import { selectForLlm, sampleSize } from '../src/llm/sample.js';
import { readAnswer } from '../src/llm/prompt.js';
import { LABEL_VALUES, type Labels } from '../src/labels.js';
import { labelsFor, startFakeLlm, type FakeLlmOptions } from './fake-llm.js';
import { fmcProcess, manyTweets, tempDir, writeTemp, type FmcResult } from './helpers.js';

type Row = Record<string, string>;

/** Runs `fmc classify` against a fake LLM; returns the result, the rows written and the fake. */
async function classifyWith(fakeOptions: FakeLlmOptions, args: string[], rows = 30, env: Record<string, string> = {}) {
  const fake = await startFakeLlm(fakeOptions);
  const input = writeTemp('tweets.csv', manyTweets(rows));
  const out = join(tempDir(), 'out.csv');
  try {
    const result = await fmcProcess(['classify', input, '--out', out, '--llm-url', fake.url, ...args], { FMC_LLM_BACKOFF_MS: '5', ...env }).done;
    const written = existsSync(out) ? (parse(readFileSync(out), { columns: true }) as Row[]) : [];
    return { result, rows: written, fake };
  } finally {
    await fake.close();
  }
}

function assertEveryRowInOrder(rows: Row[], count: number): void {
  assert.deepEqual(rows.map((row) => row.id), Array.from({ length: count }, (_, i) => String(i + 1)));
  for (const row of rows) for (const label of ['sentiment', 'is_claim', 'urgence', 'topics', 'incident'] as const) assert.ok((LABEL_VALUES[label] as readonly string[]).includes(row[label] ?? ''));
}

const fromLlm = (rows: Row[]) => rows.filter((row) => row.label_source === 'llm');

test('precise asks about every unique tweet in batches, with the schema, and merges the answers into the right rows', async () => {
  const { result, rows, fake } = await classifyWith({}, ['--mode', 'precise', '--llm-batch-size', '7'], 30);
  assert.equal(result.code, 0, result.stderr);
  assertEveryRowInOrder(rows, 30);
  assert.deepEqual(fake.seen.map((request) => request.tweets.length), [7, 7, 7, 7, 2]);
  const body = fake.seen[0]?.body as Record<string, any>;
  assert.equal(body.model, 'mistral');
  assert.equal(body.stream, false);
  assert.equal(body.options.temperature, 0);
  assert.deepEqual(body.format.properties.tweets.items.properties.incident.enum, LABEL_VALUES.incident);
  assert.equal(body.messages[0].role, 'system');
  assert.match(body.messages[0].content, /panne_technique/);
  assert.deepEqual(fake.seen[0]?.tweets.map((tweet) => tweet.id), ['1', '2', '3', '4', '5', '6', '7']);
  // Every row now carries the fake's labels for its own text.
  assert.equal(fromLlm(rows).length, 30);
  for (const row of rows) {
    const expected = labelsFor({ id: '', texte: row.text_cleaned ?? '' });
    assert.deepEqual([row.topics, row.incident, row.confidence], [expected.topics, expected.incident, '0.42'], row.text);
  }
  assert.match(result.stderr, /LLM \(model mistral on http:\/\/127\.0\.0\.1:\d+\): 30 tweets sampled · 30 answered · 5 requests \(0 failed, 0 retried\) · tokens 3,000 in \/ 900 out/);
});

test('balanced sends the budget (at least 100) and no more; duplicates follow their first row', async () => {
  const fake = await startFakeLlm();
  const text = manyTweets(400) + "401,x,\"plus d'internet depuis hier soir, la box clignote (message 0)\"\n";
  const input = writeTemp('tweets.csv', text);
  const out = join(tempDir(), 'out.csv');
  const result = await fmcProcess(['classify', input, '--out', out, '--mode', 'balanced', '--llm-url', fake.url]).done;
  await fake.close();
  assert.equal(result.code, 0, result.stderr);
  const rows = parse(readFileSync(out), { columns: true }) as Row[];
  assert.equal(rows.length, 401);
  assert.equal(fake.seen.reduce((sum, request) => sum + request.tweets.length, 0), 100);
  assert.ok(fake.seen.every((request) => request.tweets.length <= 20));
  const first = rows[0] as Row;
  const duplicate = rows[400] as Row;
  assert.equal(duplicate.duplicate_of, '1');
  assert.deepEqual([duplicate.label_source, duplicate.topics, duplicate.confidence], [first.label_source, first.topics, first.confidence]);
  assert.equal(fromLlm(rows).filter((row) => row.duplicate_of === '').length, 100);
});

test('concurrency never exceeds --llm-concurrency', async () => {
  const { result, fake } = await classifyWith({ delayMs: 60 }, ['--mode', 'precise', '--llm-batch-size', '2', '--llm-concurrency', '3'], 30);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(fake.seen.length, 15);
  assert.equal(fake.maxInFlight(), 3);
});

test('a model that is not pulled stops the run before any work', async () => {
  const { result, rows, fake } = await classifyWith({ models: ['llama3:latest'] }, ['--mode', 'balanced']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /model mistral not found on http:\/\/127\.0\.0\.1:\d+: run `ollama pull mistral`/);
  assert.equal(rows.length, 0);
  assert.equal(fake.seen.length, 0);
});

test('a server that is not there stops the run with a clear message', async () => {
  const gone = await startFakeLlm();
  await gone.close();
  const input = writeTemp('tweets.csv', manyTweets(5));
  const result = await fmcProcess(['classify', input, '--mode', 'balanced', '--llm-url', gone.url]).done;
  assert.equal(result.code, 1);
  assert.match(result.stderr, /cannot reach Ollama at http:\/\/127\.0\.0\.1:\d+: fetch failed \(ECONNREFUSED\); start it with `ollama serve` or use --mode fast/);
});

test('500s are retried with backoff; answers after a retry count', async () => {
  const { result, rows } = await classifyWith({ reply: (tweets, request) => (request <= 2 ? { status: 500, error: 'overloaded' } : { items: tweets.map(labelsFor) }) }, ['--mode', 'precise'], 30);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(fromLlm(rows).length, 30);
  assert.match(result.stderr, /30 answered · 4 requests \(2 failed, 2 retried\)/);
});

test('a server that always fails: the breaker stops the calls, every row keeps its local labels, exit 0', async () => {
  const { result, rows, fake } = await classifyWith({ reply: () => ({ status: 500, error: 'boom' }) }, ['--mode', 'precise', '--llm-batch-size', '5', '--llm-concurrency', '1'], 40);
  assert.equal(result.code, 0, result.stderr);
  assertEveryRowInOrder(rows, 40);
  assert.equal(fromLlm(rows).length, 0);
  // 3 requests with 2 retries each, then the breaker is open.
  assert.equal(fake.seen.length, 9);
  assert.match(result.stderr, /LLM fallbacks: 40 tweets kept their local labels: request failed: HTTP 500: boom \(15\); circuit breaker open \(25\)/);
  assert.match(result.stderr, /LLM calls stopped: 3 requests failed in a row \(last: HTTP 500: boom\)/);
});

test('requests that time out fall back to the local labels', async () => {
  const { result, rows } = await classifyWith({ reply: (tweets, request) => (request === 1 ? { hang: true } : { items: tweets.map(labelsFor) }) }, ['--mode', 'precise', '--llm-timeout', '0.3', '--llm-batch-size', '10', '--llm-concurrency', '1'], 20, { FMC_LLM_RETRIES: '0' });
  assert.equal(result.code, 0, result.stderr);
  assertEveryRowInOrder(rows, 20);
  assert.deepEqual(rows.map((row) => row.label_source), [...new Array(10).fill('rules+model'), ...new Array(10).fill('llm')]);
  assert.match(result.stderr, /request failed: timeout \(10\)/);
});

test('an answer that is not JSON: each tweet is asked again alone', async () => {
  const { result, rows, fake } = await classifyWith({ reply: (tweets) => (tweets.length > 1 ? { content: 'Voici les étiquettes : …' } : { items: tweets.map(labelsFor) }) }, ['--mode', 'precise', '--llm-batch-size', '5'], 10);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(fromLlm(rows).length, 10);
  assert.deepEqual(fake.seen.map((request) => request.tweets.length).sort((a, b) => b - a), [5, 5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
});

test('missing, invalid and extra ids: the missing one is asked alone once, then keeps its local labels', async () => {
  const reply: FakeLlmOptions['reply'] = (tweets) => {
    if (tweets.length === 1) return tweets[0]?.texte.includes('(message 1)') ? { items: [] } : { items: tweets.map(labelsFor) };
    const items = tweets.map(labelsFor).filter((item) => item.id !== '2' && item.id !== '3');
    return { items: [...items, { ...labelsFor(tweets[2] as { id: string; texte: string }), urgence: 'très haute' }, { ...labelsFor(tweets[0] as { id: string; texte: string }), id: '99' }] };
  };
  const { result, rows, fake } = await classifyWith({ reply }, ['--mode', 'precise', '--llm-batch-size', '5'], 5);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(fake.seen.map((request) => request.tweets.length), [5, 1, 1]);
  assert.deepEqual(rows.map((row) => row.label_source), ['llm', 'rules+model', 'llm', 'llm', 'llm']);
  assert.match(result.stderr, /LLM fallbacks: 1 tweets kept their local labels: missing or invalid in the answer \(1\)/);
  assert.match(result.stderr, /LLM answers named 1 tweets that were not asked about/);
});

test('a server killed mid-run: every row still comes out, in order, exit 0', async () => {
  let kill = () => undefined as void;
  const fake = await startFakeLlm({ delayMs: 20, reply: (tweets, request) => (request === 3 && kill(), { items: tweets.map(labelsFor) }) });
  kill = fake.kill;
  const input = writeTemp('tweets.csv', manyTweets(100));
  const out = join(tempDir(), 'out.csv');
  const result = await fmcProcess(['classify', input, '--out', out, '--mode', 'precise', '--llm-url', fake.url, '--llm-batch-size', '10', '--llm-concurrency', '1'], { FMC_LLM_BACKOFF_MS: '5' }).done;
  assert.equal(result.code, 0, result.stderr);
  const rows = parse(readFileSync(out), { columns: true }) as Row[];
  assertEveryRowInOrder(rows, 100);
  assert.equal(fromLlm(rows).length, 20);
  assert.match(result.stderr, /LLM fallbacks: 80 tweets kept their local labels/);
  assert.match(result.stderr, /LLM calls stopped: 3 requests failed in a row/);
});

test('the OpenAI-compatible route gets response_format json_schema and its usage is counted', async () => {
  const fake = await startFakeLlm({ models: ['mistral'] });
  const input = writeTemp('tweets.csv', manyTweets(12));
  const out = join(tempDir(), 'out.csv');
  const result = await fmcProcess(['classify', input, '--out', out, '--mode', 'precise', '--llm-provider', 'openai', '--llm-url', `${fake.url}/v1`]).done;
  await fake.close();
  assert.equal(result.code, 0, result.stderr);
  assert.equal(fake.seen[0]?.route, 'openai');
  const body = fake.seen[0]?.body as Record<string, any>;
  assert.equal(body.response_format.type, 'json_schema');
  assert.deepEqual(body.response_format.json_schema.schema.properties.tweets.items.properties.topics.enum, LABEL_VALUES.topics);
  assert.equal(body.temperature, 0);
  const rows = parse(readFileSync(out), { columns: true }) as Row[];
  assert.equal(fromLlm(rows).length, 12);
  assert.match(result.stderr, /tokens 1,200 in \/ 360 out/);
});

test('LLM answers are cached: a second run asks nothing', async () => {
  const fake = await startFakeLlm();
  const input = writeTemp('tweets.csv', manyTweets(25));
  const env = { FMC_DATA_DIR: tempDir() };
  const runs: FmcResult[] = [];
  for (const out of ['a.csv', 'b.csv']) runs.push(await fmcProcess(['classify', input, '--out', join(tempDir(), out), '--mode', 'precise', '--llm-url', fake.url], env).done);
  await fake.close();
  assert.equal(fake.seen.length, 2);
  assert.match(runs[1]?.stderr ?? '', /cache \(LLM\): 100\.0% hits · memory 0 · disk 25 · misses 0/);
  assert.match(runs[1]?.stderr ?? '', /0 answered · 0 requests/);
});

test('fmc llm check names the models and times one structured request', async () => {
  const fake = await startFakeLlm({ models: ['mistral:latest', 'llama3:8b'] });
  const result = await fmcProcess(['llm', 'check', '--llm-url', fake.url]).done;
  const missing = await fmcProcess(['llm', 'check', '--llm-url', fake.url, '--llm-model', 'qwen']).done;
  await fake.close();
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /ollama at http:\/\/127\.0\.0\.1:\d+: answers; 2 models: mistral:latest, llama3:8b/);
  assert.match(result.stdout, /model mistral: available/);
  assert.match(result.stdout, /one structured request: [\d.]+ s, 100 tokens in, 30 out; answer: negatif, oui, critique, fibre, panne_technique \(confidence 0\.42\)/);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /model qwen not found .*ollama pull qwen/);
});

const local = (is_claim: 'oui' | 'non', confidence: number, topics: Labels['topics']): { labels: Labels } => ({
  labels: { sentiment: 'neutre', is_claim, urgence: is_claim === 'oui' ? 'moyenne' : 'faible', topics, incident: is_claim === 'oui' ? 'panne_technique' : 'information', confidence },
});

test('balanced sampling: claims first (least confident first), then the least confident, then topics in turn', () => {
  assert.equal(sampleSize(1000, 0.2, 100), 200);
  assert.equal(sampleSize(300, 0.2, 100), 100);
  assert.equal(sampleSize(40, 0.2, 100), 40);
  const candidates = [
    local('non', 0.9, 'fibre'), // 0
    local('oui', 0.8, 'fibre'), // 1
    local('non', 0.3, 'fibre'), // 2
    local('oui', 0.5, 'sav'), // 3
    local('non', 0.95, 'tv'), // 4
    local('non', 0.6, 'fibre'), // 5
    local('non', 0.99, 'mobile'), // 6
    local('oui', 0.7, 'facture'), // 7
  ];
  assert.deepEqual(selectForLlm('balanced', candidates, 0.25, 0), [3, 7]);
  // Budget 6: three claims, then ceil(3/2) = 2 least confident (2, 5), then one by topic, the rarest first (tv, seen before mobile).
  assert.deepEqual(selectForLlm('balanced', candidates, 0.75, 0), [1, 2, 3, 4, 5, 7]);
  // Budget 7: then mobile, before a fourth fibre.
  assert.deepEqual(selectForLlm('balanced', candidates, 0.875, 0), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(selectForLlm('precise', candidates, 0.1, 0), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('answers are read item by item; settings come from flags, environment, then file', () => {
  const read = readAnswer(JSON.stringify({ tweets: [{ ...labelsFor({ id: '1', texte: 'internet' }) }, { id: '2', sentiment: 'furieux' }] }), new Set(['1', '2']));
  assert.deepEqual([...read.labels.keys()], ['1']);
  assert.equal(readAnswer('pas du json', new Set(['1'])).problem, 'answer is not JSON');
  assert.equal(normaliseOllamaHost('0.0.0.0'), 'http://127.0.0.1:11434');
  assert.equal(normaliseOllamaHost('gpu-box:8000'), 'http://gpu-box:8000');
  assert.equal(normaliseOllamaHost('https://ollama.example.com'), 'https://ollama.example.com');
  const file = writeTemp('fmc.config.json', JSON.stringify({ llm: { model: 'from-file', budget: 0.5, concurrency: 4 } }));
  const config = loadConfig({ flags: { configFile: file, llm: { concurrency: '6' } }, env: { OLLAMA_HOST: 'gpu-box', FMC_LLM_BUDGET: '0.3' } });
  assert.deepEqual([config.llm.model, config.llm.budget, config.llm.concurrency, config.llm.url], ['from-file', 0.3, 6, 'http://gpu-box:11434']);
  assert.throws(() => loadConfig({ flags: { configFile: writeTemp('fmc.config.json', '{"llm": {"modle": "x"}}') }, env: {} }), /config file .*fmc\.config\.json: llm: Unrecognized key/);
});
