/**
 * The distributed mode against the machine's real PostgreSQL and Redis: the
 * output equals the embedded mode's row for row, chunks are stored exactly
 * once when a worker dies mid-chunk, and connection failures are clear.
 * Each test gets a database of its own (and so a queue of its own).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pg from 'pg';
import { AccountStore } from '../src/auth/index.js';
import { loadClassifier } from '../src/classify/index.js';
import { clusterBackends, failAbandonedRuns, openChunkQueue, runResults, startWorker, submitRun } from '../src/cluster/index.js';
import { openInput } from '../src/ingest/index.js';
import { loadConfig, type FmcConfig } from '../src/config/index.js';
import { createBackend, createLlmClassifier } from '../src/llm/index.js';
import { startFakeLlm } from './fake-llm.js';
import { toOutputRecord } from '../src/output/index.js';
import { createPipeline, type RunStats } from '../src/pipeline/index.js';
import { connectPostgres, migratePostgres, type PgPool } from '../src/store/postgres.js';
import { postgresSql } from '../src/store/sql.js';
import { fmc, fmcProcess, TEXTS, tempDir, writeTemp } from './helpers.js';
import { finished, server, upload } from './http.js';

const POSTGRES = process.env.FMC_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432';
const REDIS = process.env.FMC_TEST_REDIS ?? 'redis://127.0.0.1:6379/0';

/** A fresh database on the machine's PostgreSQL, dropped after the test. */
async function cluster(t: { after: (fn: () => Promise<void>) => void }): Promise<{ databaseUrl: string; redisUrl: string; pool: PgPool }> {
  const name = `fmc_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const databaseUrl = `${POSTGRES}/${name}`;
  const pool = await connectPostgres(databaseUrl);
  await migratePostgres(pool);
  t.after(async () => {
    await pool.end();
    const cleanup = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  });
  return { databaseUrl, redisUrl: REDIS, pool };
}

/** `rows` tweets with duplicates far apart (across chunks), retweets, an empty text and varied authors. */
function tweetsWithDuplicates(rows: number): string {
  const lines = ['id,author,text'];
  for (let i = 0; i < rows; i++) {
    const text = i % 97 === 5 ? '' : i % 7 === 0 ? `RT @free: ${TEXTS[i % TEXTS.length]} (rappel ${i % 13})` : `${TEXTS[i % TEXTS.length]} (message ${i % 400})`;
    lines.push(`${1000 + i},${i % 11 === 0 ? 'free' : `user${i % 50}`},"${text}"`);
  }
  return `${lines.join('\n')}\n`;
}

/** The embedded pipeline's records of a file: `fast`, or with an LLM phase. */
async function embeddedRecords(path: string, withLlm?: { mode: 'balanced' | 'precise'; llm: FmcConfig['llm'] }) {
  const llm = withLlm === undefined ? undefined : { classifier: createLlmClassifier(createBackend(withLlm.llm), withLlm.llm), budget: withLlm.llm.budget, minSample: withLlm.llm.minSample };
  const pipeline = createPipeline({ mode: withLlm?.mode ?? 'fast', llm });
  const records = [];
  for await (const row of pipeline.run((await openInput(path)).rows)) records.push(toOutputRecord(row));
  return records;
}

async function waitForRun(pool: PgPool, runId: number, timeoutMs = 120_000): Promise<{ status: string; error: string | null }> {
  for (let waited = 0; waited < timeoutMs; waited += 100) {
    const run = (await pool.query<{ status: string; error: string | null }>('SELECT status, error FROM runs WHERE id = $1', [runId])).rows[0];
    if (run !== undefined && (run.status === 'done' || run.status === 'failed')) return run;
    await sleep(100);
  }
  throw new Error(`run ${runId} did not end`);
}

test('two workers on small chunks give the embedded output row for row: ids, order, labels, duplicate_of', async (t) => {
  const { databaseUrl, redisUrl, pool } = await cluster(t);
  const path = writeTemp('tweets.csv', tweetsWithDuplicates(2500));
  const queue = openChunkQueue({ databaseUrl, redisUrl });
  const classifier = loadClassifier();
  const workers = [startWorker({ pool, cluster: { databaseUrl, redisUrl }, classifier, concurrency: 1 }), startWorker({ pool, cluster: { databaseUrl, redisUrl }, classifier, concurrency: 2 })];
  t.after(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await queue.obliterate({ force: true });
    await queue.close();
  });
  const { runId, rows } = await submitRun(pool, queue, { inputPath: path, read: {}, mode: 'fast', chunkRows: 300 });
  assert.equal(rows, 2500);
  assert.deepEqual(await waitForRun(pool, runId), { status: 'done', error: null });
  const chunks = (await pool.query<{ n: number; done: number }>('SELECT COUNT(*)::int AS n, COUNT(*) FILTER (WHERE done)::int AS done FROM run_chunks WHERE run_id = $1', [runId])).rows[0];
  assert.deepEqual(chunks, { n: 9, done: 9 });
  const distributed = [];
  for await (const row of runResults(pool, runId)) distributed.push(toOutputRecord(row));
  const embedded = await embeddedRecords(path);
  assert.equal(distributed.length, embedded.length);
  assert.deepEqual(distributed, embedded);
  // The data set really exercises what matters: duplicates whose first row is in another chunk, and error rows.
  const crossChunk = embedded.filter((record, i) => record.duplicate_of !== '' && Math.floor(i / 300) !== Math.floor(embedded.findIndex((first) => first.id === record.duplicate_of) / 300));
  assert.ok(crossChunk.length > 1000, `${crossChunk.length} duplicates across chunks`);
  assert.ok(embedded.some((record) => record.error !== undefined));

  // Each distinct tweet went into the shared cache once; a second run finds them all there.
  const cached = (await pool.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM cache')).rows[0]?.n ?? 0;
  const again = await submitRun(pool, queue, { inputPath: path, read: {}, mode: 'fast', chunkRows: 300 });
  await waitForRun(pool, again.runId);
  const stats = (await pool.query<{ stats: { cache: { classify: { memory: number; disk: number; misses: number } } } }>('SELECT stats FROM runs WHERE id = $1', [again.runId])).rows[0]?.stats;
  assert.equal(stats?.cache.classify.misses, 0);
  assert.equal((await pool.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM cache')).rows[0]?.n, cached);
});

test('balanced and precise on the cluster: the sample is chosen from every local label, its batches are jobs for the workers, and the output equals the embedded one', async (t) => {
  const { databaseUrl, redisUrl, pool } = await cluster(t);
  const fake = await startFakeLlm();
  const llm = { ...loadConfig({ flags: { llm: { url: fake.url, batchSize: '7' } }, env: {} }).llm, budget: 0.05, minSample: 30 };
  const path = writeTemp('tweets.csv', tweetsWithDuplicates(2500));
  const queue = openChunkQueue({ databaseUrl, redisUrl });
  const workers = [1, 2].map(() => startWorker({ pool, cluster: { databaseUrl, redisUrl }, classifier: loadClassifier(), llm: () => createLlmClassifier(createBackend(llm), llm), concurrency: 2 }));
  t.after(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await queue.obliterate({ force: true });
    await queue.close();
    await fake.close();
  });
  const askedByCluster: string[] = [];
  for (const mode of ['balanced', 'precise'] as const) {
    const requestsBefore = fake.seen.length;
    const { runId } = await submitRun(pool, queue, { inputPath: path, read: {}, mode, llm, chunkRows: 300 });
    assert.deepEqual(await waitForRun(pool, runId), { status: 'done', error: null }, mode);
    askedByCluster.push(...fake.seen.slice(requestsBefore).flatMap((request) => request.tweets.map((tweet) => tweet.texte)));
    const distributed = [];
    for await (const row of runResults(pool, runId)) distributed.push(toOutputRecord(row));
    const embedded = await embeddedRecords(path, { mode, llm });
    assert.deepEqual(distributed, embedded, mode);
    const fromLlm = embedded.filter((record) => record.label_source === 'llm');
    const unique = embedded.filter((record) => record.error === undefined && record.duplicate_of === '').length;
    const { stats, batches } = (
      await pool.query<{ stats: RunStats; batches: number }>('SELECT stats, (SELECT COUNT(*)::int FROM run_llm_batches b WHERE b.run_id = r.id) AS batches FROM runs r WHERE id = $1', [runId])
    ).rows[0] as { stats: RunStats; batches: number };
    const sampled = mode === 'precise' ? unique : Math.max(Math.ceil(unique * 0.05), 30);
    assert.equal(stats.llm?.sampled, sampled, mode);
    assert.equal(batches, Math.ceil(sampled / 100), mode);
    // Duplicates of a sampled tweet take its LLM labels, in other chunks too.
    assert.ok(fromLlm.length > sampled, `${mode}: ${fromLlm.length} rows with LLM labels`);
    if (mode === 'precise') assert.equal(stats.cache?.llm?.misses, unique - Math.max(Math.ceil(unique * 0.05), 30), 'precise finds the balanced sample in the shared cache');
  }
  // Each distinct tweet was asked once over both runs.
  assert.equal(new Set(askedByCluster).size, askedByCluster.length, 'no tweet asked twice');

  // Through an API replica: the run shows its LLM phase while the workers ask, then the LLM's figures.
  fake.setDelay(30);
  const replica = await server({ backends: (log) => clusterBackends({ databaseUrl, redisUrl }, { modelPath: undefined, llm: { budget: 0.3, minSample: 0 } }, log), dataDir: tempDir() });
  t.after(() => replica.close());
  const created = await upload(replica, 'other.csv', tweetsWithDuplicates(3000).replaceAll('message', 'tweet'), { mode: 'balanced' });
  assert.equal(created.statusCode, 202, created.body);
  const runId = created.json().id as number;
  const phases = new Set<string>();
  for (let run = (await replica.inject(`/api/runs/${runId}`)).json(); run.status !== 'done'; run = (await replica.inject(`/api/runs/${runId}`)).json()) {
    assert.notEqual(run.status, 'failed', JSON.stringify(run));
    if (run.progress?.phase === 'llm') {
      phases.add('llm');
      const { done, total } = run.progress.phases.llm;
      assert.ok(total > 0 && done <= total, JSON.stringify(run.progress));
    }
    await sleep(20);
  }
  assert.ok(phases.has('llm'), 'the LLM phase was seen');
  const done = (await replica.inject(`/api/runs/${runId}`)).json();
  // Every sampled tweet answered: by the LLM, or from the shared cache (the retweets are the earlier runs' texts).
  assert.deepEqual(done.stats.llm.fallbacks, {});
  assert.equal(done.stats.llm.answered + done.stats.cache.llm.memory + done.stats.cache.llm.disk, done.stats.llm.sampled);
  assert.ok(done.stats.llm.sampled > 0);
});

test('an LLM that is down on the cluster: the run ends done with the local labels and says why', async (t) => {
  const { databaseUrl, redisUrl, pool } = await cluster(t);
  const gone = await startFakeLlm();
  await gone.close();
  const llm = { ...loadConfig({ flags: { llm: { url: gone.url, backoffMs: '1', retries: '1' } }, env: {} }).llm, budget: 0.5, minSample: 0 };
  const path = writeTemp('tweets.csv', tweetsWithDuplicates(1200));
  const queue = openChunkQueue({ databaseUrl, redisUrl });
  const worker = startWorker({ pool, cluster: { databaseUrl, redisUrl }, classifier: loadClassifier(), llm: () => createLlmClassifier(createBackend(llm), llm), concurrency: 2 });
  t.after(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });
  const { runId } = await submitRun(pool, queue, { inputPath: path, read: {}, mode: 'balanced', llm, chunkRows: 500 });
  assert.deepEqual(await waitForRun(pool, runId), { status: 'done', error: null });
  const distributed = [];
  for await (const row of runResults(pool, runId)) distributed.push(toOutputRecord(row));
  assert.deepEqual(distributed, await embeddedRecords(path), 'every row keeps its local labels');
  const stats = (await pool.query<{ stats: RunStats }>('SELECT stats FROM runs WHERE id = $1', [runId])).rows[0]?.stats;
  assert.ok(stats?.llm !== undefined);
  assert.equal(stats.llm.answered, 0);
  assert.match(stats.llm.breakerOpened ?? '', /requests failed in a row/);
  const kept = Object.values(stats.llm.fallbacks).reduce((sum, count) => sum + count, 0);
  assert.equal(kept, stats.llm.sampled, `every sampled tweet kept its local labels, with a reason: ${JSON.stringify(stats.llm.fallbacks)}`);
  assert.ok((stats.llm.fallbacks['circuit breaker open'] ?? 0) > 0, 'batches after the breaker opened did not ask');
});

test('fmc classify --database-url --redis-url with fmc worker processes writes the same file as fmc classify on one machine', async (t) => {
  const { databaseUrl, redisUrl } = await cluster(t);
  const env = { FMC_DATABASE_URL: databaseUrl, FMC_REDIS_URL: redisUrl };
  const fake = await startFakeLlm();
  const worker = fmcProcess(['worker', '--metrics-port', '0', '--llm-url', fake.url], env);
  t.after(async () => {
    worker.child.kill('SIGTERM');
    assert.equal((await worker.done).code, 0);
    await fake.close();
  });
  let workerLog = '';
  const metricsUrl = await new Promise<string>((resolve, reject) => {
    worker.child.stderr.on('data', (chunk: Buffer) => {
      workerLog += chunk.toString();
      const match = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(workerLog);
      if (match) resolve(match[1] as string);
    });
    worker.child.on('exit', () => reject(new Error(`worker stopped: ${workerLog}`)));
  });
  const out = join(tempDir(), 'cluster.csv');
  const distributed = fmc(['classify', 'examples/demo_tweets.csv', '--out', out], undefined, env);
  assert.equal(distributed.code, 0, distributed.stderr);
  assert.match(distributed.stderr, /234 rows .*\n.*unique 144 · duplicates 90 · errors 0/);
  const local = join(tempDir(), 'local.csv');
  assert.equal(fmc(['classify', 'examples/demo_tweets.csv', '--out', local]).code, 0);
  assert.equal(readFileSync(out, 'utf8'), readFileSync(local, 'utf8'));
  const metrics = await (await fetch(metricsUrl)).text();
  assert.match(metrics, /^fmc_worker_chunks_total\{status="done"\} 1$/m);
  assert.match(metrics, /^fmc_rows_classified_total 234$/m);
  assert.match(metrics, /^fmc_queue_depth 0$/m);
  assert.match(metrics, /^fmc_queue_oldest_age_seconds 0$/m);
  // balanced: the workers ask their LLM about the sample; the file is the one classify writes on one machine with the same LLM.
  const [balancedOut, localBalancedOut] = [join(tempDir(), 'cluster.csv'), join(tempDir(), 'local.csv')];
  const balanced = await fmcProcess(['classify', 'examples/demo_tweets.csv', '--mode', 'balanced', '--out', balancedOut], env).done;
  assert.equal(balanced.code, 0, balanced.stderr);
  assert.match(balanced.stderr, /LLM \(model mistral on http:\/\/127\.0\.0\.1:\d+\): 100 tweets sampled · 100 answered/);
  assert.equal((await fmcProcess(['classify', 'examples/demo_tweets.csv', '--mode', 'balanced', '--out', localBalancedOut, '--llm-url', fake.url, '--no-cache']).done).code, 0);
  assert.equal(readFileSync(balancedOut, 'utf8'), readFileSync(localBalancedOut, 'utf8'));
  assert.match(await (await fetch(metricsUrl)).text(), /^fmc_worker_llm_tweets_total 100$/m);

  // fmc serve on the same cluster: ready when its database and Redis answer, its users in PostgreSQL.
  assert.equal(fmc(['users', 'add', 'ops', '--role', 'admin', '--password-stdin'], 'a long enough password\n', env).code, 0);
  const serve = fmcProcess(['serve', '--port', '0', '--host', '0.0.0.0', '--log-level', 'warn'], env);
  t.after(async () => {
    serve.child.kill('SIGTERM');
    assert.equal((await serve.done).code, 0);
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    serve.child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /FreeMobilaChat on http:\/\/0\.0\.0\.0:(\d+)/.exec(stderr);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    });
    serve.child.on('exit', () => reject(new Error(`serve stopped: ${stderr}`)));
  });
  assert.equal((await fetch(`${url}/readyz`)).status, 200);
  const signIn = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ops', password: 'a long enough password' }) });
  assert.equal(signIn.status, 200, 'the user made with fmc users add --database-url signs in on the cluster');
});

test('a worker killed with SIGKILL mid-chunk: another takes the chunk and the run ends with every row exactly once', async (t) => {
  const { databaseUrl, redisUrl, pool } = await cluster(t);
  const env = { FMC_DATABASE_URL: databaseUrl, FMC_REDIS_URL: redisUrl };
  const queue = openChunkQueue({ databaseUrl, redisUrl });
  t.after(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });
  const rows = 40_000;
  const path = writeTemp('big.csv', tweetsWithDuplicates(rows));
  const { runId } = await submitRun(pool, queue, { inputPath: path, read: {}, mode: 'fast', chunkRows: 2000 });
  // The first worker holds its chunk's lock for 2 s at most without renewing it.
  const doomed = fmcProcess(['worker', '--lock-seconds', '2'], env);
  for (let waited = 0; ; waited += 20) {
    const done = (await pool.query<{ done: number }>('SELECT COUNT(*)::int AS done FROM run_chunks WHERE run_id = $1 AND done', [runId])).rows[0]?.done ?? 0;
    if (done >= 2) break;
    assert.ok(waited < 60_000, 'the first worker never stored a chunk');
    await sleep(20);
  }
  doomed.child.kill('SIGKILL');
  await doomed.done;
  const pendingAtKill = (await pool.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM run_chunks WHERE run_id = $1 AND NOT done', [runId])).rows[0]?.n;
  assert.ok((pendingAtKill ?? 0) > 0, 'killed mid-run');
  const survivor = fmcProcess(['worker', '--lock-seconds', '2'], env);
  t.after(async () => {
    survivor.child.kill('SIGTERM');
    await survivor.done;
  });
  assert.deepEqual(await waitForRun(pool, runId), { status: 'done', error: null });
  const stored = (await pool.query('SELECT COUNT(*)::int AS n, COUNT(DISTINCT position)::int AS positions, MIN(position) AS first, MAX(position) AS last FROM run_results WHERE run_id = $1', [runId])).rows[0];
  assert.deepEqual(stored, { n: rows, positions: rows, first: 0, last: rows - 1 });
  const distributed = [];
  for await (const row of runResults(pool, runId)) distributed.push(toOutputRecord(row));
  assert.deepEqual(distributed, await embeddedRecords(path));
});

test('an unreachable database at start, or half a cluster, is a clear error', () => {
  const unreachable = fmc(['worker', '--database-url', 'postgres://fmc:s3cret@127.0.0.1:1/nowhere', '--redis-url', REDIS]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /cannot reach PostgreSQL at postgres:\/\/fmc:\*\*\*@127\.0\.0\.1:1\/nowhere/);
  assert.doesNotMatch(unreachable.stderr, /s3cret/);
  const half = fmc(['classify', 'examples/demo_tweets.csv', '--database-url', 'postgres://127.0.0.1/x']);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /needs both a database URL and a Redis URL .*only the database one is set/);
});

test('API replicas on the cluster: upload to one, follow and read on another; accounts shared; the output equals the embedded one', async (t) => {
  const { databaseUrl, redisUrl, pool } = await cluster(t);
  const backends = (log: FastifyBaseLogger) => clusterBackends({ databaseUrl, redisUrl }, { modelPath: undefined, llm: { budget: 0.2, minSample: 100 } }, log);
  const [first, second] = await Promise.all([1, 2].map(() => server({ backends, rateLimitRedisUrl: redisUrl, dataDir: tempDir() })));
  const worker = startWorker({ pool, cluster: { databaseUrl, redisUrl }, classifier: loadClassifier(), concurrency: 1 });
  t.after(async () => {
    await worker.close();
    await first?.close();
    await second?.close();
  });
  assert.ok(first !== undefined && second !== undefined);
  const accounts = new AccountStore(postgresSql(pool));
  await accounts.addUser('ana', 'analyst', undefined);
  const { id: keyId, key } = await accounts.createKey('ana', 'replicas');
  const headers = { authorization: `Bearer ${key}` };
  const content = tweetsWithDuplicates(12_000);
  const path = writeTemp('tweets.csv', content);

  const created = await upload(first, 'tweets.csv', content, {}, headers);
  assert.equal(created.statusCode, 202, created.body);
  const runId = created.json().id as number;
  // The other replica streams the run's progress to its end.
  const events = await second.inject({ url: `/api/runs/${runId}/events`, headers });
  assert.match(events.body, /event: end\ndata: \{[^\n]*"status":"done"/);
  const run = (await second.inject({ url: `/api/runs/${runId}`, headers })).json();
  assert.deepEqual([run.status, run.rows, run.storedRows, run.owner, run.dashboard.rows], ['done', 12_000, 12_000, 'ana', 12_000]);

  const embedded = await embeddedRecords(path);
  const exported = (await second.inject({ url: `/api/runs/${runId}/export?format=jsonl`, headers })).body.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(exported, JSON.parse(JSON.stringify(embedded)));
  // A ticket issued by one replica opens its path once on the other.
  const exportPath = `/api/runs/${runId}/export`;
  const { ticket } = (await first.inject({ method: 'POST', url: '/api/tickets', headers, payload: { path: exportPath } })).json();
  assert.equal((await second.inject({ url: `${exportPath}?format=csv&ticket=${ticket}` })).statusCode, 200);
  assert.equal((await first.inject({ url: `${exportPath}?format=csv&ticket=${ticket}` })).statusCode, 401, 'used up');
  // A correction through one replica is seen through the other, in PostgreSQL.
  const fixed = await first.inject({ method: 'PATCH', url: `/api/runs/${runId}/tweets/6`, headers, payload: { topics: 'tv' } });
  assert.equal(fixed.statusCode, 200, fixed.body);
  const human = (await second.inject({ url: `/api/runs/${runId}/tweets?label_source=human`, headers })).json();
  assert.deepEqual(human.items.map((item: { position: number; topics: string; confidence: number }) => [item.position, item.topics, item.confidence]), [[6, 'tv', 1]]);
  assert.equal((await pool.query<{ author: string }>('SELECT author FROM corrections WHERE run_id = $1', [runId])).rows[0]?.author, 'ana');
  // The review queue reads the same from PostgreSQL as from SQLite: an embedded server with the same run and correction.
  const embeddedServer = await server();
  t.after(() => embeddedServer.close());
  const embeddedRun = await finished(embeddedServer, (await upload(embeddedServer, 'tweets.csv', content)).json().id);
  assert.equal((await embeddedServer.inject({ method: 'PATCH', url: `/api/runs/${embeddedRun.id}/tweets/6`, payload: { topics: 'tv' } })).statusCode, 200);
  const queueOf = async (app: FastifyInstance, id: number, auth: Record<string, string>) => {
    const queue = (await app.inject({ url: `/api/review?run=${id}&limit=30`, headers: auth })).json();
    return { ...queue, items: queue.items.map((item: { position: number; score: number }) => [item.position, item.score.toFixed(6)]) };
  };
  const clusterQueue = await queueOf(second, runId, headers);
  assert.deepEqual(clusterQueue, await queueOf(embeddedServer, embeddedRun.id, {}));
  assert.deepEqual([clusterQueue.reviewed, clusterQueue.items.length], [1, 30]);
  // A later run of the same text, classified by the workers, takes the person's labels.
  const again = await second.inject({ method: 'POST', url: '/api/runs', headers, payload: { tweets: [{ id: 'again', text: exported[6]?.text }, { id: 'other', text: exported[7]?.text }] } });
  assert.equal(again.statusCode, 202, again.body);
  assert.equal((await finished(first, again.json().id, headers)).status, 'done');
  const rerun = (await first.inject({ url: `/api/runs/${again.json().id}/tweets`, headers })).json();
  assert.deepEqual(rerun.items.map((item: { label_source: string; topics: string }) => [item.label_source, item.topics]), [['human', 'tv'], ['rules+model', exported[7]?.topics]]);
  const negative = (await first.inject({ url: `/api/runs/${runId}/tweets?sentiment=negatif&duplicates=exclude&pageSize=5`, headers })).json();
  assert.equal(negative.total, embedded.filter((record) => record.sentiment === 'negatif' && record.duplicate_of === '' && record.error === undefined).length);
  assert.equal(run.dashboard.duplicates, embedded.filter((record) => record.duplicate_of !== '').length);

  // Accounts and the audit log are the cluster's: a key revoked through one replica is refused by the other.
  const admin = await accounts.addUser('root', 'admin', undefined).then(() => accounts.createKey('root', 'admin'));
  assert.equal((await first.inject({ method: 'DELETE', url: `/api/keys/${keyId}`, headers: { authorization: `Bearer ${admin.key}` } })).statusCode, 204);
  assert.equal((await second.inject({ url: '/api/runs', headers })).statusCode, 401);
  const audit = (await second.inject({ url: '/api/audit', headers: { authorization: `Bearer ${admin.key}` } })).json();
  assert.deepEqual(audit.entries.map((entry: { action: string }) => entry.action), ['run.upload', 'run.export', 'run.export', 'tweet.correct', 'run.upload', 'key.revoke']);
  assert.equal((await second.inject({ method: 'DELETE', url: `/api/runs/${runId}`, headers: { authorization: `Bearer ${admin.key}` } })).statusCode, 204);
  assert.equal((await first.inject({ url: `/api/runs/${runId}`, headers: { authorization: `Bearer ${admin.key}` } })).statusCode, 404);
});

/** Reads Server-Sent Events from a response until `stop` says so; returns them. */
async function readEvents(response: Response, stop: (event: { id: string; event: string; data: Record<string, unknown> }) => boolean) {
  const events: Array<{ id: string; event: string; data: Record<string, unknown> }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const field = (name: string) => (block.split('\n').find((line) => line.startsWith(`${name}: `)) ?? '').slice(name.length + 2);
      const event = { id: field('id'), event: field('event'), data: JSON.parse(field('data')) as Record<string, unknown> };
      events.push(event);
      if (stop(event)) return events;
    }
  }
  return events;
}

test('an API replica killed while a client follows a run: the client reconnects to another with Last-Event-ID and sees the end', async (t) => {
  const { databaseUrl, redisUrl, pool } = await cluster(t);
  const backends = (log: FastifyBaseLogger) => clusterBackends({ databaseUrl, redisUrl }, { modelPath: undefined, llm: { budget: 0.2, minSample: 100 } }, log);
  const [doomed, survivor] = await Promise.all([1, 2].map(() => server({ backends, dataDir: tempDir() })));
  assert.ok(doomed !== undefined && survivor !== undefined);
  const [doomedUrl, survivorUrl] = await Promise.all([doomed.listen({ port: 0, host: '127.0.0.1' }), survivor.listen({ port: 0, host: '127.0.0.1' })]);
  const worker = startWorker({ pool, cluster: { databaseUrl, redisUrl }, classifier: loadClassifier(), concurrency: 1 });
  t.after(async () => {
    await worker.close();
    await survivor.close();
  });
  const created = await upload(doomed, 'tweets.csv', tweetsWithDuplicates(60_000));
  const runId = created.json().id as number;
  const following = new AbortController();
  const first = await fetch(`${doomedUrl}/api/runs/${runId}/events`, { signal: following.signal });
  const before = await readEvents(first, (event) => event.event === 'progress');
  following.abort();
  // Once the upload is stored (the replica that took it stores it), the run no longer needs that replica.
  while ((await pool.query('SELECT chunks FROM runs WHERE id = $1', [runId])).rows[0]?.chunks === null) await sleep(20);
  assert.equal(before.at(-1)?.event, 'progress');
  // The replica dies: its connections are cut, the run goes on in the workers.
  doomed.server.closeAllConnections();
  await doomed.close();
  const again = await fetch(`${survivorUrl}/api/runs/${runId}/events`, { headers: { 'last-event-id': before.at(-1)?.id ?? '' } });
  const after = await readEvents(again, (event) => event.event === 'end');
  assert.equal(after.at(-1)?.event, 'end');
  assert.equal(after.at(-1)?.data.status, 'done');
  assert.equal(after.at(-1)?.data.storedRows, 60_000);
});

/** A Redis of the test's own (append-only file on, so a restart keeps the queue), on a free port. */
async function ownRedis(t: TestContext, dir: string, port: number) {
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
  t.after(() => {
    if (redis.exitCode === null) redis.kill('SIGKILL');
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (answered) return redis;
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('Redis restarted mid-run: the workers reconnect and the run ends with every row exactly once', async (t) => {
  const { databaseUrl, pool } = await cluster(t);
  const dir = tempDir();
  const port = await freePort();
  let redis = await ownRedis(t, dir, port);
  const redisUrl = `redis://127.0.0.1:${port}/0`;
  const queue = openChunkQueue({ databaseUrl, redisUrl });
  const worker = startWorker({ pool, cluster: { databaseUrl, redisUrl }, classifier: loadClassifier(), concurrency: 1, lockMs: 3000 });
  worker.on('error', () => undefined);
  t.after(async () => {
    await worker.close();
    await queue.close();
  });
  const rows = 60_000;
  const path = writeTemp('tweets.csv', tweetsWithDuplicates(rows));
  const { runId } = await submitRun(pool, queue, { inputPath: path, read: {}, mode: 'fast', chunkRows: 5000 });
  while (((await pool.query<{ done: number }>('SELECT COUNT(*)::int AS done FROM run_chunks WHERE run_id = $1 AND done', [runId])).rows[0]?.done ?? 0) < 2) await sleep(20);
  redis.kill('SIGTERM');
  await once(redis, 'exit');
  assert.ok(((await pool.query<{ pending: number }>('SELECT COUNT(*)::int AS pending FROM run_chunks WHERE run_id = $1 AND NOT done', [runId])).rows[0]?.pending ?? 0) > 0, 'stopped mid-run');
  await sleep(1500);
  redis = await ownRedis(t, dir, port);
  assert.deepEqual(await waitForRun(pool, runId), { status: 'done', error: null });
  const stored = (await pool.query('SELECT COUNT(*)::int AS n, COUNT(DISTINCT position)::int AS positions FROM run_results WHERE run_id = $1', [runId])).rows[0];
  assert.deepEqual(stored, { n: rows, positions: rows });
});

/** A TCP proxy to PostgreSQL that can be cut: every connection dropped and new ones refused until it is restored. */
async function cuttableProxy(t: TestContext, target: number) {
  const sockets = new Set<Socket>();
  let port = 0;
  let proxy: Server | undefined;
  const listen = async () => {
    proxy = createServer((client) => {
      const upstream = connect(target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => (proxy as Server).listen(port, '127.0.0.1', resolve));
    port = (proxy.address() as AddressInfo).port;
  };
  await listen();
  const cut = async () => {
    const closed = new Promise((resolve) => proxy?.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  t.after(cut);
  return { port: () => port, cut, restore: listen };
}

test('PostgreSQL unreachable for a few seconds mid-run: retried with backoff, the run ends with every row exactly once', async (t) => {
  const { databaseUrl, redisUrl, pool } = await cluster(t);
  const proxy = await cuttableProxy(t, Number(new URL(POSTGRES).port || 5432));
  const throughProxy = new URL(databaseUrl);
  throughProxy.port = String(proxy.port());
  const workerPool = await connectPostgres(throughProxy.href);
  workerPool.on('error', () => undefined);
  const queue = openChunkQueue({ databaseUrl, redisUrl });
  const worker = startWorker({ pool: workerPool, cluster: { databaseUrl, redisUrl }, classifier: loadClassifier(), concurrency: 1 });
  worker.on('error', () => undefined);
  t.after(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await workerPool.end().catch(() => undefined);
  });
  const rows = 60_000;
  const { runId } = await submitRun(pool, queue, { inputPath: writeTemp('tweets.csv', tweetsWithDuplicates(rows)), read: {}, mode: 'fast', chunkRows: 5000 });
  while (((await pool.query<{ done: number }>('SELECT COUNT(*)::int AS done FROM run_chunks WHERE run_id = $1 AND done', [runId])).rows[0]?.done ?? 0) < 2) await sleep(20);
  await proxy.cut();
  await sleep(3000);
  assert.ok(((await pool.query<{ pending: number }>('SELECT COUNT(*)::int AS pending FROM run_chunks WHERE run_id = $1 AND NOT done', [runId])).rows[0]?.pending ?? 0) > 0, 'cut mid-run');
  await proxy.restore();
  assert.deepEqual(await waitForRun(pool, runId), { status: 'done', error: null });
  const stored = (await pool.query('SELECT COUNT(*)::int AS n, COUNT(DISTINCT position)::int AS positions FROM run_results WHERE run_id = $1', [runId])).rows[0];
  assert.deepEqual(stored, { n: rows, positions: rows });
});

test('a run whose upload stopped being stored (its replica died) is failed after two minutes, not left queued', async (t) => {
  const { pool } = await cluster(t);
  const insert = "INSERT INTO runs (input_name, mode, status, started_at, stored_at) VALUES ($1, 'fast', 'queued', now() - make_interval(secs => $2), now() - make_interval(secs => $2)) RETURNING id";
  const stale = Number((await pool.query<{ id: string }>(insert, ['stale.csv', 600])).rows[0]?.id);
  const fresh = Number((await pool.query<{ id: string }>(insert, ['fresh.csv', 10])).rows[0]?.id);
  assert.deepEqual(await failAbandonedRuns(pool), [stale]);
  const { rows } = await pool.query<{ id: string; status: string; error: string | null }>('SELECT id, status, error FROM runs ORDER BY id');
  assert.deepEqual(rows.map((row) => [Number(row.id), row.status]), [[stale, 'failed'], [fresh, 'queued']]);
  assert.match(rows[0]?.error ?? '', /stopped being stored .*send it again/);
});
