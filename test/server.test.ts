import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { startFakeLlm } from './fake-llm.js';
import { fmcProcess, manyTweets, tempDir } from './helpers.js';
import { finished, multipart, server, upload } from './http.js';

const FIXTURE = readFileSync('test/fixtures/tweets.csv');

test('an upload is classified off the event loop; run, tweets, dashboard and exports follow', async (t) => {
  const app = await server();
  t.after(() => app.close());
  const created = await upload(app, 'tweets.csv', FIXTURE);
  assert.equal(created.statusCode, 202, created.body);
  assert.equal(created.headers.location, `/api/runs/${created.json().id}`);
  const run = await finished(app, created.json().id);
  assert.equal(run.status, 'done', run.error);
  assert.equal(run.rows, 6);
  assert.equal(run.storedRows, 6);
  assert.equal(run.inputName, 'tweets.csv');
  assert.deepEqual([run.dashboard.rows, run.dashboard.duplicates, run.dashboard.errors], [6, 1, 1]);
  assert.equal(Object.values(run.dashboard.counts.sentiment as Record<string, number>).reduce((a, b) => a + b), 6);
  assert.deepEqual(run.dashboard.perDay, { '2026-10-05': 6 });
  assert.equal(run.dashboard.perHour.reduce((a: number, b: number) => a + b), 6);
  assert.match(run.problems.join('\n'), /tweets\.csv:6: empty text/);

  const list = (await app.inject('/api/runs')).json();
  assert.deepEqual(list.runs.map((item: { id: number }) => item.id), [run.id]);

  const page = (await app.inject(`/api/runs/${run.id}/tweets?pageSize=2&page=2`)).json();
  assert.deepEqual([page.total, page.page, page.items.map((item: { id: string }) => item.id)], [6, 2, ['000103', '000104']]);
  const claims = (await app.inject(`/api/runs/${run.id}/tweets?is_claim=oui`)).json();
  assert.ok(claims.total > 0 && claims.items.every((item: { is_claim: string }) => item.is_claim === 'oui'));
  assert.equal(claims.total, run.dashboard.counts.is_claim.oui);
  const search = (await app.inject(`/api/runs/${run.id}/tweets?q=${encodeURIComponent('TELETRAVAIL')}`)).json();
  assert.deepEqual(search.items.map((item: { id: string }) => item.id), ['000101', '000104']);
  const noDuplicates = (await app.inject(`/api/runs/${run.id}/tweets?duplicates=exclude`)).json();
  assert.equal(noDuplicates.total, 5);
  const sorted = (await app.inject(`/api/runs/${run.id}/tweets?sort=confidence&order=desc`)).json();
  const confidences = sorted.items.map((item: { confidence: number }) => item.confidence);
  assert.deepEqual(confidences, [...confidences].sort((a, b) => b - a));

  const csv = await app.inject(`/api/runs/${run.id}/export?format=csv`);
  assert.equal(csv.statusCode, 200);
  assert.match(csv.headers['content-disposition'] as string, /attachment; filename="tweets-labelled-run\d+\.csv"/);
  const rows = parse(csv.body, { columns: true, bom: true }) as Record<string, string>[];
  assert.deepEqual(rows.map((row) => row.id), ['000101', '000102', '000103', '000104', '000105', '1850000212557272634']);
  // "@free …" would be read as a formula by Excel: the export neutralises it.
  assert.equal(rows[0]?.text, "'@free plus d'internet depuis 3 jours, je suis en télétravail 😡 https://t.co/x");
  const jsonl = await app.inject(`/api/runs/${run.id}/export?format=jsonl`);
  assert.equal(jsonl.body.trim().split('\n').map((line) => JSON.parse(line)).filter((row) => row.label_source === 'rules+model').length, 5);
  const xlsx = await app.inject(`/api/runs/${run.id}/export?format=xlsx`);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet('tweets');
  assert.equal(sheet?.rowCount, 7);
  assert.equal(sheet?.getRow(2).getCell(1).value, '000101');

  const events = await app.inject(`/api/runs/${run.id}/events`);
  assert.match(events.headers['content-type'] as string, /text\/event-stream/);
  assert.match(events.body, /^id: 1-6\nevent: end\ndata: \{"id":\d+,.*"status":"done"/);

  assert.equal((await app.inject({ method: 'DELETE', url: `/api/runs/${run.id}` })).statusCode, 204);
  assert.equal((await app.inject(`/api/runs/${run.id}`)).statusCode, 404);
  assert.equal((await app.inject(`/api/runs/${run.id}/tweets`)).json().error, `no run ${run.id}`);
});

test('the worker keeps its cache between runs: a second upload of the same tweets is read from memory', async (t) => {
  const app = await server();
  t.after(() => app.close());
  const first = await finished(app, (await upload(app, 'tweets.csv', FIXTURE)).json().id);
  const second = await finished(app, (await upload(app, 'again.csv', FIXTURE)).json().id);
  assert.deepEqual(first.stats.cache.classify, { memory: 0, disk: 0, misses: 4 });
  assert.deepEqual(second.stats.cache.classify, { memory: 4, disk: 0, misses: 0 });
});

test('runs queue behind each other; deleting a running run stops it and the next one runs', async (t) => {
  const app = await server();
  t.after(() => app.close());
  const big = (await upload(app, 'big.csv', manyTweets(80_000))).json().id;
  const small = (await upload(app, 'small.csv', FIXTURE)).json().id;
  for (let waited = 0; (await app.inject(`/api/runs/${big}`)).json().status !== 'running' && waited < 10_000; waited += 20) await sleep(20);
  assert.equal((await app.inject(`/api/runs/${small}`)).json().status, 'queued');
  assert.deepEqual((await app.inject('/readyz')).json(), { status: 'ready', queued: 1, running: 1 });
  assert.equal((await app.inject({ method: 'DELETE', url: `/api/runs/${big}` })).statusCode, 204);
  const next = await finished(app, small);
  assert.equal(next.status, 'done', next.error);
  assert.equal(next.rows, 6);
  assert.equal((await app.inject(`/api/runs/${big}`)).statusCode, 404);
});

test('progress streams as Server-Sent Events until the run ends', async (t) => {
  const app = await server();
  t.after(() => app.close());
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const form = new FormData();
  form.set('file', new Blob([manyTweets(20_000)]), 'big.csv');
  const created = await fetch(`${address}/api/runs`, { method: 'POST', body: form });
  const { id } = (await created.json()) as { id: number };
  const stream = await fetch(`${address}/api/runs/${id}/events`);
  const text = await stream.text();
  const events = text.trim().split('\n\n').map((block) => ({ id: /^id: (\S+)/.exec(block)?.[1], event: /^event: (\w+)/m.exec(block)?.[1], data: JSON.parse(block.split('data: ')[1] as string) }));
  assert.ok(events.every((event, i) => event.id?.startsWith(`${i + 1}-`)), 'each event has an id, for Last-Event-ID');
  const progress = events.filter((event) => event.event === 'progress');
  assert.ok(progress.some((event) => event.data.status === 'running' && event.data.phases.classify?.done > 0), text.slice(0, 500));
  assert.equal(progress.at(-1)?.data.status, 'done');
  assert.equal(events.at(-1)?.event, 'end');
  assert.equal(events.at(-1)?.data.rows, 20_000);
});

test('bad uploads get a clear JSON error and the right status', async (t) => {
  const app = await server({ maxUploadBytes: 10 * 2 ** 20 });
  t.after(() => app.close());
  const wrongType = await upload(app, 'tweets.xlsx', 'PK\u0003\u0004');
  assert.equal(wrongType.statusCode, 415);
  assert.match(wrongType.json().error, /tweets\.xlsx: unsupported file type; send a \.csv, \.tsv, \.jsonl or \.json export/);
  const empty = await upload(app, 'tweets.csv', '');
  assert.deepEqual([empty.statusCode, empty.json().error], [400, 'tweets.csv: the file is empty']);
  const huge = await upload(app, 'tweets.csv', Buffer.alloc(50 * 2 ** 20, 'a'));
  assert.equal(huge.statusCode, 413);
  assert.match(huge.json().error, /larger than the limit of 10 MB/);
  const noText = await upload(app, 'tweets.csv', 'id,auteur,date\n1,x,2026-10-05\n');
  assert.equal(noText.statusCode, 400);
  assert.match(noText.json().error, /tweets\.csv: no text column found; columns are "id", "auteur", "date"\. Name it with the textColumn field/);
  const badColumn = await upload(app, 'tweets.csv', FIXTURE, { textColumn: 'tweet' });
  assert.match(badColumn.json().error, /no column "tweet"/);
  const badMode = await upload(app, 'tweets.csv', FIXTURE, { mode: 'turbo' });
  assert.deepEqual([badMode.statusCode, badMode.json().error], [400, 'mode must be one of fast, balanced, precise']);
  const noFile = await app.inject({ method: 'POST', url: '/api/runs', ...multipart(undefined, { mode: 'fast' }) });
  assert.equal(noFile.statusCode, 400);
  assert.match(noFile.json().error, /no file in the upload/);
  const badJson = await app.inject({ method: 'POST', url: '/api/runs', payload: { tweets: [] } });
  assert.equal(badJson.statusCode, 400);
  assert.match(badJson.json().error, /invalid body: tweets: .*send a file as multipart\/form-data/);

  // A broken CSV is not refused: its bad rows come out as error rows, the others are classified.
  const broken = await upload(app, 'broken.csv', 'id,text\n1,"panne internet depuis hier"\n2,trop,de,colonnes\n3,"guillemet jamais fermé\n4,merci free\n');
  assert.equal(broken.statusCode, 202);
  const run = await finished(app, broken.json().id);
  assert.equal(run.status, 'done');
  assert.ok(run.rows >= 3, `${run.rows} rows`);
  assert.ok(run.dashboard.errors >= 1);
  assert.ok(run.problems.length >= 1);
});

test('bad queries and routes: 400 with the field named, 404 for unknown runs and routes', async (t) => {
  const app = await server();
  t.after(() => app.close());
  const id = (await upload(app, 'tweets.csv', FIXTURE)).json().id;
  await finished(app, id);
  const badValue = await app.inject(`/api/runs/${id}/tweets?sentiment=furieux`);
  assert.equal(badValue.statusCode, 400);
  assert.match(badValue.json().error, /^invalid querystring: sentiment: /);
  assert.equal((await app.inject(`/api/runs/${id}/tweets?page=0`)).statusCode, 400);
  assert.equal((await app.inject(`/api/runs/${id}/tweets?pageSize=5000`)).statusCode, 400);
  assert.equal((await app.inject(`/api/runs/${id}/export?format=pdf`)).statusCode, 400);
  assert.match((await app.inject('/api/runs/abc')).json().error, /^invalid params: id/);
  assert.equal((await app.inject('/api/runs/999')).statusCode, 404);
  assert.equal((await app.inject('/api/runs/999/export')).statusCode, 404);
  assert.equal((await app.inject({ method: 'DELETE', url: '/api/runs/999' })).statusCode, 404);
  const unknown = await app.inject('/api/nothing');
  assert.deepEqual([unknown.statusCode, unknown.json().error], [404, 'no route GET /api/nothing']);
});

test('a run can start from a JSON body of tweets or a .json array upload', async (t) => {
  const app = await server();
  t.after(() => app.close());
  const fromBody = await app.inject({ method: 'POST', url: '/api/runs', payload: { tweets: [{ id: 't1', contenu: 'plus de réseau mobile depuis ce matin' }, { id: 't2', contenu: 'merci free' }], textColumn: 'contenu' } });
  assert.equal(fromBody.statusCode, 202, fromBody.body);
  const bodyRun = await finished(app, fromBody.json().id);
  assert.deepEqual([bodyRun.status, bodyRun.rows, bodyRun.inputName], ['done', 2, 'tweets.jsonl']);
  const rows = (await app.inject(`/api/runs/${bodyRun.id}/tweets`)).json().items;
  assert.deepEqual(rows.map((row: { id: string }) => row.id), ['t1', 't2']);
  const array = await upload(app, 'export.json', JSON.stringify([{ id: 1850000212557272634n.toString(), text: 'box en panne' }, { id: '2', text: 'facture trop chère' }]));
  const arrayRun = await finished(app, array.json().id);
  assert.deepEqual([arrayRun.status, arrayRun.rows], ['done', 2]);
});

test('POST /api/classify labels up to 1,000 tweets synchronously', async (t) => {
  const app = await server();
  t.after(() => app.close());
  const result = await app.inject({ method: 'POST', url: '/api/classify', payload: { tweets: [{ id: 'a', text: "plus d'internet depuis 3 jours" }, { id: 'b', text: '' }, { id: 'c', text: "plus d'internet depuis 3 jours" }] } });
  assert.equal(result.statusCode, 200, result.body);
  const tweets = result.json().tweets;
  assert.deepEqual(tweets.map((tweet: { id: string }) => tweet.id), ['a', 'b', 'c']);
  assert.equal(tweets[0].is_claim, 'oui');
  assert.match(tweets[1].error, /empty text/);
  assert.equal(tweets[2].duplicate_of, 'a');
  const tooMany = await app.inject({ method: 'POST', url: '/api/classify', payload: { tweets: Array.from({ length: 1001 }, (_, i) => ({ text: `tweet ${i}` })) } });
  assert.equal(tooMany.statusCode, 400);
  assert.match(tooMany.json().error, /invalid body: tweets: /);
  const noText = await app.inject({ method: 'POST', url: '/api/classify', payload: { tweets: [{ message_body: 'panne' }] } });
  assert.equal(noText.statusCode, 400);
  assert.match(noText.json().error, /no text column found; columns are "message_body"/);
  const column = await app.inject({ method: 'POST', url: '/api/classify', payload: { tweets: [{ message_body: 'panne internet' }], textColumn: 'message_body' } });
  assert.equal(column.json().tweets[0].text_cleaned, 'panne internet');
});

test('modes with the LLM: 503 when it is not there, labels from it when it is', async (t) => {
  const gone = await startFakeLlm();
  await gone.close();
  const without = await server({}, { FMC_LLM_URL: gone.url });
  t.after(() => without.close());
  const refused = await upload(without, 'tweets.csv', FIXTURE, { mode: 'balanced' });
  assert.equal(refused.statusCode, 503);
  assert.match(refused.json().error, /cannot reach Ollama .*; mode fast needs no LLM/);

  const fake = await startFakeLlm();
  const app = await server({}, { FMC_LLM_URL: fake.url });
  t.after(async () => {
    await app.close();
    await fake.close();
  });
  const run = await finished(app, (await upload(app, 'tweets.csv', FIXTURE, { mode: 'precise' })).json().id);
  assert.equal(run.status, 'done', run.error);
  assert.equal(run.stats.llm.answered, 4);
  const fromLlm = (await app.inject(`/api/runs/${run.id}/tweets?label_source=llm`)).json();
  assert.equal(fromLlm.total, 5);
  assert.ok(fromLlm.items.every((item: { confidence: number }) => item.confidence === 0.42));
});

test('with the legacy token, /api needs it as a bearer key, never in the URL; health, metrics and docs stay open', async (t) => {
  const app = await server({ apiToken: 'secret-token-123' });
  t.after(() => app.close());
  const refused = await app.inject('/api/runs');
  assert.deepEqual([refused.statusCode, refused.json().error], [401, 'sign in, or send Authorization: Bearer KEY']);
  assert.equal((await app.inject({ url: '/api/runs', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
  assert.equal((await app.inject({ url: '/api/runs', headers: { authorization: 'Bearer secret-token-123' } })).statusCode, 200);
  const inUrl = await app.inject('/api/runs?token=secret-token-123');
  assert.equal(inUrl.statusCode, 400);
  assert.match(inUrl.json().error, /credentials are not accepted in the URL \(\?token=\)/);
  assert.equal((await app.inject('/healthz')).statusCode, 200);
  assert.equal((await app.inject('/metrics')).statusCode, 200);
  assert.equal((await app.inject('/docs/json')).statusCode, 200);
});

test('rate limits answer 429 with a JSON message', async (t) => {
  const app = await server({ rateLimitPerMinute: 20 });
  t.after(() => app.close());
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await app.inject({ method: 'POST', url: '/api/classify', payload: { tweets: [{ text: 'panne' }] } })).statusCode);
  assert.deepEqual(statuses, [200, 200, 429, 429]);
  const limited = await app.inject({ method: 'POST', url: '/api/classify', payload: { tweets: [{ text: 'panne' }] } });
  assert.match(limited.json().error, /^too many requests: at most 2 a minute/);
  assert.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After says when to come back');
  assert.equal((await app.inject('/healthz')).statusCode, 200);
});

test('health, readiness, metrics and the OpenAPI document', async (t) => {
  const app = await server();
  t.after(() => app.close());
  assert.deepEqual((await app.inject('/healthz')).json(), { status: 'ok' });
  assert.deepEqual((await app.inject('/readyz')).json(), { status: 'ready', queued: 0, running: 0 });
  await finished(app, (await upload(app, 'tweets.csv', FIXTURE)).json().id);
  const metrics = (await app.inject('/metrics')).body;
  assert.match(metrics, /fmc_http_requests_total\{method="POST",route="\/api\/runs",status="202"\} 1/);
  assert.match(metrics, /fmc_runs_finished_total\{status="done"\} 1/);
  assert.match(metrics, /fmc_rows_classified_total 6/);
  // The five figures of the brief, after one run on an empty cache.
  assert.match(metrics, /fmc_classification_time_seconds_count\{phase="classify",mode="fast"\} 1/);
  assert.match(metrics, /fmc_classification_time_seconds_count\{phase="read_clean",mode="fast"\} 1/);
  assert.match(metrics, /fmc_tweets_per_second\{run="last"\} [1-9]\d*/);
  assert.match(metrics, /fmc_tweets_per_second\{run="running"\} 0/);
  assert.match(metrics, /fmc_cache_hit_rate 0\n/);
  assert.match(metrics, /fmc_errors_total\{kind="input"\} 1\n/);
  assert.match(metrics, /fmc_errors_total\{kind="run"\} 0\n/);
  assert.match(metrics, /fmc_errors_total\{kind="http"\} 0\n/);
  assert.match(metrics, /fmc_memory_usage_mb [1-9]\d*/);
  // The same tweets again: every distinct one from the cache.
  await finished(app, (await upload(app, 'tweets.csv', FIXTURE)).json().id);
  const again = (await app.inject('/metrics')).body;
  assert.match(again, /fmc_cache_hit_rate 1\n/);
  assert.match(again, /fmc_classification_time_seconds_count\{phase="classify",mode="fast"\} 2/);
  assert.match(again, /fmc_errors_total\{kind="input"\} 2\n/);
  // Every series the shipped Grafana dashboard plots is one the server exports.
  const dashboard = JSON.parse(readFileSync('deploy/grafana-dashboard.json', 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const plotted = new Set(dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/fmc_[a-z_]+/g) ?? [])).map((name) => name.replace(/_(bucket|count|sum)$/, '')));
  assert.ok(plotted.size >= 10);
  for (const name of plotted) assert.match(again, new RegExp(`# TYPE ${name} `), `${name} is exported`);
  const openapi = (await app.inject('/docs/json')).json();
  for (const path of ['/api/runs', '/api/runs/{id}', '/api/runs/{id}/events', '/api/runs/{id}/tweets', '/api/runs/{id}/export', '/api/classify', '/healthz', '/readyz']) {
    assert.ok(openapi.paths[path], `${path} documented`);
  }
  assert.deepEqual(openapi.paths['/api/runs/{id}/tweets'].get.parameters.find((parameter: { name: string }) => parameter.name === 'urgence').schema.enum, ['faible', 'moyenne', 'haute', 'critique']);
  assert.match((await app.inject('/docs')).headers.location ?? (await app.inject('/docs/')).body, /docs|swagger/i);
});

test('fmc serve listens, answers, and stops on SIGTERM', async () => {
  const { child, done } = fmcProcess(['serve', '--port', '0']);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /FreeMobilaChat on (http:\/\/127\.0\.0\.1:\d+) \(API documentation: .*\/docs; data in /.exec(stderr);
      if (match) resolve(match[1] as string);
    });
    child.on('exit', () => reject(new Error(`serve stopped: ${stderr}`)));
  });
  assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { status: 'ok' });
  assert.match(await (await fetch(url)).text(), /<title>FreeMobilaChat/);
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
});

test('security headers on every answer: a Content-Security-Policy, no sniffing, no framing', async (t) => {
  const app = await server();
  t.after(() => app.close());
  for (const url of ['/', '/api/runs', '/healthz']) {
    const { headers } = await app.inject(url);
    assert.match(String(headers['content-security-policy']), /default-src 'self';.*script-src 'self';.*object-src 'none';.*frame-ancestors 'none'/, url);
    assert.equal(headers['x-content-type-options'], 'nosniff', url);
    assert.equal(headers['x-frame-options'], 'SAMEORIGIN', url);
    assert.equal(headers['strict-transport-security'], undefined, `${url}: plain HTTP sets no HSTS`);
  }
  // Swagger UI's page has a policy of its own (staticCSP), which runs no inline script.
  const docs = await app.inject('/docs');
  assert.equal(docs.statusCode, 200);
  assert.match(String(docs.headers['content-security-policy']), /script-src 'self'/);
  assert.doesNotMatch(docs.body, /<script>[^<]/);
});

test('structured logs: one JSON line per request with id, route, status and duration; no credential in them', async (t) => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const secret = 'k3y-that-must-never-be-logged';
  const app = await server({ apiToken: secret, log: { level: 'info', stream } });
  t.after(() => app.close());
  assert.equal((await app.inject({ url: '/api/runs', headers: { authorization: `Bearer ${secret}`, cookie: `session=${secret}` } })).statusCode, 200);
  assert.equal((await app.inject({ url: `/api/runs?token=${secret}&page=1` })).statusCode, 400);
  assert.equal((await app.inject({ url: '/api/runs', headers: { authorization: 'Bearer wrong-key' } })).statusCode, 401);
  const entries = lines.map((line) => JSON.parse(line) as { reqId?: string; user?: string; req?: { url: string; route: string }; res?: { statusCode: number }; responseTime?: number });
  const completed = entries.filter((entry) => entry.res !== undefined);
  assert.equal(completed[0]?.user, 'token', 'the request line names who made it');
  assert.deepEqual(completed.map((entry) => entry.res?.statusCode), [200, 400, 401]);
  assert.ok(completed.every((entry) => typeof entry.reqId === 'string' && typeof entry.responseTime === 'number'));
  const received = entries.filter((entry) => entry.req !== undefined);
  assert.deepEqual(received.map((entry) => [entry.req?.url, entry.req?.route]), [['/api/runs', '/api/runs'], ['/api/runs?token=[Redacted]&page=1', '/api/runs'], ['/api/runs', '/api/runs']]);
  assert.ok(!lines.some((line) => line.includes(secret)), 'the key appears nowhere in the log');
});

test('--log-file: JSON logs in a file rotated by day', async () => {
  const dir = tempDir();
  const app = await server({ log: { level: 'info', file: join(dir, 'fmc.log') } });
  await app.inject('/healthz');
  await app.close();
  // pino-roll writes from a worker thread: the file is there once it has flushed.
  let files: string[] = [];
  for (let attempt = 0; attempt < 50 && files.length === 0; attempt++) {
    files = readdirSync(dir).filter((name) => /^fmc\.\d{4}-\d{2}-\d{2}\.1\.log$/.test(name) && readFileSync(join(dir, name), 'utf8').includes('"statusCode":200'));
    if (files.length === 0) await sleep(100);
  }
  assert.equal(files.length, 1, readdirSync(dir).join(', '));
  assert.equal(files[0], `fmc.${new Date().toISOString().slice(0, 10)}.1.log`);
});
