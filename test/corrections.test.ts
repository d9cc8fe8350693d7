/**
 * Corrections: an analyst corrects a tweet's labels (a viewer cannot); the
 * table, the dashboard's counts and the exports show them as `human`; LABELS.md's
 * rules hold; the correction is recorded with who, when, the text and both label sets.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { AccountStore } from '../src/auth/index.js';
import { openDatabase } from '../src/store/index.js';
import { sqliteSql } from '../src/store/sql.js';
import { readLabelled } from '../src/train/train.js';
import { fmc, manyTweets, tempDir } from './helpers.js';
import { join } from 'node:path';
import { finished, server, upload } from './http.js';
import { startFakeLlm } from './fake-llm.js';

/** A server with an analyst (lea) and a viewer (vic), and their keys' headers; closed after the test. */
async function serverWithAnalyst(t: TestContext) {
  const dataDir = tempDir();
  const db = openDatabase(dataDir, () => undefined);
  const accounts = new AccountStore(sqliteSql(db));
  await accounts.addUser('lea', 'analyst', undefined);
  await accounts.addUser('vic', 'viewer', undefined);
  const analyst = { authorization: `Bearer ${(await accounts.createKey('lea', 'test')).key}` };
  const viewer = { authorization: `Bearer ${(await accounts.createKey('vic', 'test')).key}` };
  const app = await server({ db, dataDir });
  t.after(() => app.close());
  return { dataDir, db, accounts, analyst, viewer, app };
}

test('an analyst corrects a tweet: the table, the export and the audit show it; the rules hold; a viewer cannot', async (t) => {
  const { dataDir, db, accounts, analyst, viewer, app } = await serverWithAnalyst(t);
  const id = (await upload(app, 'tweets.csv', manyTweets(12), {}, analyst)).json().id as number;
  assert.equal((await finished(app, id, analyst)).status, 'done');
  const before = (await app.inject({ url: `/api/runs/${id}/tweets/2`, headers: analyst })).json().tweet;

  assert.equal((await app.inject({ method: 'PATCH', url: `/api/runs/${id}/tweets/2`, headers: viewer, payload: { topics: 'tv' } })).statusCode, 403);
  // A claim about information is not allowed by LABELS.md: the incident and the urgency follow.
  const corrected = await app.inject({ method: 'PATCH', url: `/api/runs/${id}/tweets/2`, headers: analyst, payload: { is_claim: 'oui', incident: 'information', urgence: 'faible', topics: 'tv' } });
  assert.equal(corrected.statusCode, 200, corrected.body);
  const { tweet } = corrected.json();
  assert.deepEqual([tweet.is_claim, tweet.incident, tweet.urgence, tweet.topics, tweet.label_source, tweet.confidence], ['oui', 'autre_reclamation', 'moyenne', 'tv', 'human', 1]);
  assert.equal(tweet.sentiment, before.sentiment, 'what was not corrected stays');
  assert.equal(tweet.id, before.id);

  const table = (await app.inject({ url: `/api/runs/${id}/tweets?label_source=human`, headers: viewer })).json();
  assert.deepEqual(table.items.map((item: { position: number; topics: string }) => [item.position, item.topics]), [[2, 'tv']]);
  const exported = (await app.inject({ url: `/api/runs/${id}/export?format=jsonl`, headers: viewer })).body.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual([exported[2].topics, exported[2].label_source], ['tv', 'human']);
  assert.equal(exported.length, 12);
  const dashboard = (await app.inject({ url: `/api/runs/${id}`, headers: viewer })).json().dashboard;
  assert.equal(dashboard.counts.label_source.human, 1);

  const recorded = db.prepare('SELECT run_id, position, tweet_id, text, before, after, author FROM corrections').all() as Array<Record<string, unknown>>;
  assert.equal(recorded.length, 1);
  assert.deepEqual([recorded[0]?.run_id, recorded[0]?.position, recorded[0]?.tweet_id, recorded[0]?.author], [id, 2, String(before.id), 'lea']);
  assert.equal(JSON.parse(String(recorded[0]?.before)).topics, before.topics);
  assert.equal(JSON.parse(String(recorded[0]?.after)).incident, 'autre_reclamation');
  assert.equal(recorded[0]?.text, before.text_cleaned);
  const audit = await app.inject({ url: '/api/audit', headers: { authorization: `Bearer ${(await accounts.addUser('root', 'admin', undefined).then(() => accounts.createKey('root', 'x'))).key}` } });
  assert.match(JSON.stringify(audit.json().entries.find((entry: { action: string }) => entry.action === 'tweet.correct')), /topics: \w+ → tv/);

  // The corrections as training data: one example per text, its latest labels, read back by fmc train's reader.
  assert.equal((await app.inject({ method: 'PATCH', url: `/api/runs/${id}/tweets/2`, headers: analyst, payload: { sentiment: 'negatif' } })).statusCode, 200);
  assert.equal((await app.inject({ method: 'PATCH', url: `/api/runs/${id}/tweets/4`, headers: analyst, payload: { topics: 'mobile' } })).statusCode, 200);
  const out = join(tempDir(), 'corrections.jsonl');
  const exported2 = fmc(['feedback', 'export', '--out', out, '--data-dir', dataDir]);
  assert.equal(exported2.code, 0, exported2.stderr);
  assert.match(exported2.stderr, /^2 corrected tweets written to .* \(3 corrections\)/);
  const examples = await readLabelled(out);
  assert.equal(examples.length, 2);
  const [second, fourth] = examples;
  assert.deepEqual([second?.gold.sentiment, second?.gold.topics, second?.gold.incident], ['negatif', 'tv', 'autre_reclamation']);
  assert.equal(fourth?.gold.topics, 'mobile');
  assert.equal(fmc(['feedback', 'export', '--out', out, '--data-dir', dataDir, '--since', '2999-01-01']).stderr.split(' ')[0], '0');

  // Later runs learn: the same texts get the people's latest labels, marked human, and are not asked about again.
  const again = (await upload(app, 'tweets.csv', manyTweets(12), {}, analyst)).json().id as number;
  assert.equal((await finished(app, again, analyst)).status, 'done');
  const rerun = (await app.inject({ url: `/api/runs/${again}/export?format=jsonl`, headers: viewer })).body.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(
    rerun.map((row) => row.label_source),
    exported.map((_row, position) => (position === 2 || position === 4 ? 'human' : 'rules+model')),
  );
  assert.deepEqual([rerun[2].sentiment, rerun[2].topics, rerun[2].confidence, rerun[4].topics], ['negatif', 'tv', 1, 'mobile']);
  // The corrections outlive their run.
  assert.equal((await app.inject({ method: 'DELETE', url: `/api/runs/${id}`, headers: analyst })).statusCode, 204);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM corrections').get() as { n: number }).n, 3);

  assert.equal((await app.inject({ method: 'PATCH', url: `/api/runs/${again}/tweets/2`, headers: analyst, payload: {} })).statusCode, 400);
  assert.equal((await app.inject({ method: 'PATCH', url: `/api/runs/${again}/tweets/2`, headers: analyst, payload: { topics: 'meteo' } })).statusCode, 400);
  assert.equal((await app.inject({ method: 'PATCH', url: `/api/runs/${again}/tweets/99`, headers: analyst, payload: { topics: 'tv' } })).statusCode, 404);
});

test('the review queue: least sure and rarest first, per run and across runs; a confirmation counts as reviewed; the LLM and the model disagreeing moves a tweet up', async (t) => {
  const { analyst, viewer, app } = await serverWithAnalyst(t);
  const first = (await upload(app, 'tweets.csv', manyTweets(40), {}, analyst)).json().id as number;
  assert.equal((await finished(app, first, analyst)).status, 'done');

  assert.equal((await app.inject({ url: `/api/review?run=${first}`, headers: viewer })).statusCode, 403);
  assert.equal((await app.inject({ url: '/api/review?run=999', headers: analyst })).statusCode, 404);
  const queue = (await app.inject({ url: `/api/review?run=${first}&limit=10`, headers: analyst })).json();
  assert.deepEqual([queue.reviewed, queue.toReview, queue.items.length], [0, 40, 10]);
  const scores = queue.items.map((item: { score: number }) => item.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'most instructive first');
  for (const item of queue.items) assert.ok(item.score >= 1 - item.tweet.confidence - 1e-9, 'at least its uncertainty');
  // The least sure of the run comes before the surest, rare values aside.
  const all = (await app.inject({ url: `/api/review?run=${first}&limit=40`, headers: analyst })).json().items as Array<{ position: number; score: number; tweet: { confidence: number } }>;
  const surest = all.reduce((best, item) => (item.tweet.confidence > best.tweet.confidence ? item : best));
  const leastSure = all.reduce((worst, item) => (item.tweet.confidence < worst.tweet.confidence ? item : worst));
  assert.ok(all.indexOf(leastSure) < all.indexOf(surest));

  // Confirming the labels as they are (all five sent back) reviews the tweet.
  const top = queue.items[0];
  const confirmed = await app.inject({ method: 'PATCH', url: `/api/runs/${first}/tweets/${top.position}`, headers: analyst, payload: Object.fromEntries(['sentiment', 'is_claim', 'urgence', 'topics', 'incident'].map((label) => [label, top.tweet[label]])) });
  assert.equal(confirmed.statusCode, 200, confirmed.body);
  const after = (await app.inject({ url: `/api/review?run=${first}&limit=10`, headers: analyst })).json();
  assert.deepEqual([after.reviewed, after.toReview], [1, 39]);
  assert.ok(!after.items.some((item: { position: number }) => item.position === top.position));

  // Across runs: both runs' tweets, the confirmed one reviewed in the second too (its text was).
  const second = (await upload(app, 'tweets.csv', manyTweets(10), {}, analyst)).json().id as number;
  assert.equal((await finished(app, second, analyst)).status, 'done');
  const everywhere = (await app.inject({ url: '/api/review?limit=200', headers: analyst })).json();
  assert.deepEqual(new Set(everywhere.items.map((item: { runId: number }) => item.runId)), new Set([first, second]));
  assert.equal(everywhere.reviewed + everywhere.toReview, 50);
  assert.equal(everywhere.reviewed, top.position < 10 ? 2 : 1);
});

test('the review queue moves up, by label, the tweets where the LLM decided against the local model', async (t) => {
  const fake = await startFakeLlm();
  const app = await server({}, { FMC_LLM_URL: fake.url });
  t.after(async () => {
    await app.close();
    await fake.close();
  });
  const local = await finished(app, (await upload(app, 'tweets.csv', manyTweets(12))).json().id);
  const decided = await finished(app, (await upload(app, 'tweets.csv', manyTweets(12), { mode: 'precise' })).json().id);
  const localRows = (await app.inject(`/api/runs/${local.id}/export?format=jsonl`)).body.trim().split('\n').map((line) => JSON.parse(line));
  const queue = (await app.inject(`/api/review?run=${decided.id}&limit=12`)).json();
  const labels = ['sentiment', 'is_claim', 'urgence', 'topics', 'incident'];
  let disagreeing = 0;
  for (const item of queue.items) {
    assert.equal(item.tweet.label_source, 'llm');
    const expected = labels.filter((label) => localRows[item.position][label] !== item.tweet[label]);
    assert.deepEqual(item.disagreement, expected, `position ${item.position}`);
    assert.ok(item.score >= 1 - 0.42 + 0.25 * expected.length - 1e-9);
    if (expected.length > 0) disagreeing++;
  }
  assert.ok(disagreeing > 0, 'the fake LLM answers differently from the model on some tweets');
});
