/**
 * The model registry: retraining with the corrections (through the API, in a
 * worker thread, and the command line), the promotion guard on held-out
 * corrections and dev, promotion and rollback as seen by the next runs, and
 * the export/train round trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { AccountStore } from '../src/auth/index.js';
import { cleanTweet } from '../src/clean/index.js';
import { loadClassifier } from '../src/classify/index.js';
import { isHeldOut } from '../src/models/corrections.js';
import { openDatabase, type Db } from '../src/store/index.js';
import { sqliteSql } from '../src/store/sql.js';
import { fmc, tempDir } from './helpers.js';
import { finished, server, upload } from './http.js';

const TOWNS = ['lyon', 'lille', 'nantes', 'brest', 'metz', 'nice', 'pau', 'dijon', 'rouen', 'caen', 'tours', 'reims', 'laval', 'vannes', 'blois', 'albi', 'agen', 'niort'];
const OUTAGE = { sentiment: 'negatif', is_claim: 'oui', urgence: 'critique', topics: 'fibre', incident: 'panne_technique' };
const BILLING = { sentiment: 'negatif', is_claim: 'oui', urgence: 'haute', topics: 'facture', incident: 'facturation' };
const PRAISE = { sentiment: 'positif', is_claim: 'non', urgence: 'faible', topics: 'tv', incident: 'information' };
/** What the care team teaches: a made-up service the shipped model has never seen. */
const ZORGLUB = { sentiment: 'neutre', is_claim: 'oui', urgence: 'moyenne', topics: 'mobile', incident: 'processus_sav' };
const zorglub = (n: number): string => `le service zorglub ne répond plus, dossier ${n}`;

/** Three kinds of tweets in the given towns, labelled; `scrambled` swaps the labels (a bad training set). */
function labelled(towns: readonly string[], scrambled = false): string {
  const rows = towns.flatMap((town, i) => [
    { text: `plus de connexion internet à ${town} depuis ${i + 2} jours, box en panne`, ...(scrambled ? PRAISE : OUTAGE) },
    { text: `facture de ${40 + i} euros prélevée deux fois à ${town}, remboursez`, ...(scrambled ? OUTAGE : BILLING) },
    { text: `merci pour les nouvelles chaînes télé, super programme à ${town}`, ...(scrambled ? BILLING : PRAISE) },
  ]);
  return rows.map((row, i) => JSON.stringify({ id: `t${i}`, ...row })).join('\n') + '\n';
}

/** A training-data directory: train.jsonl on the first 12 towns, dev.jsonl on the other 6. */
function trainingData(scrambled = false): string {
  const directory = tempDir();
  writeFileSync(join(directory, 'train.jsonl'), labelled(TOWNS.slice(0, 12), scrambled));
  writeFileSync(join(directory, 'dev.jsonl'), labelled(TOWNS.slice(12)));
  return directory;
}

/** 80 corrections of zorglub tweets, as the API records them (the cleaned text, the labels after). */
function correct(db: Db): number {
  const insert = db.prepare('INSERT INTO corrections (run_id, position, tweet_id, text, before, after, author, at) VALUES (NULL, 0, ?, ?, ?, ?, ?, ?)');
  for (let n = 0; n < 80; n++) insert.run(String(n), cleanTweet(zorglub(n)).text, JSON.stringify(PRAISE), JSON.stringify(ZORGLUB), 'lea', new Date().toISOString());
  return Array.from({ length: 80 }, (_, n) => cleanTweet(zorglub(n)).text).filter(isHeldOut).length;
}

/** Tweets no correction names: what a run learns from the default model alone. */
const NEW_TWEETS = `id,text\n${[1000, 1001, 1002, 1003].map((n) => `${n},"${zorglub(n)}"`).join('\n')}\n`;

async function labelsOfRun(app: FastifyInstance, headers: Record<string, string>): Promise<Array<Record<string, unknown>>> {
  const run = await finished(app, (await upload(app, 'new.csv', NEW_TWEETS, {}, headers)).json().id, headers);
  assert.equal(run.status, 'done', run.error);
  return (await app.inject({ url: `/api/runs/${run.id}/export?format=jsonl`, headers })).body.trim().split('\n').map((line) => JSON.parse(line));
}

test('retrain with the corrections, promote behind the guard, roll back: new runs follow the default model', async (t) => {
  const dataDir = tempDir();
  const db = openDatabase(dataDir, () => undefined);
  const accounts = new AccountStore(sqliteSql(db));
  for (const role of ['viewer', 'analyst', 'admin'] as const) await accounts.addUser(role, role, undefined);
  const key = async (role: string) => ({ authorization: `Bearer ${(await accounts.createKey(role, 'test')).key}` });
  const [viewer, analyst, admin] = [await key('viewer'), await key('analyst'), await key('admin')];
  const heldOut = correct(db);
  assert.ok(heldOut >= 10, `${heldOut} held-out corrections`);

  const untrained = await server({ db, dataDir });
  assert.match((await untrained.inject({ method: 'POST', url: '/api/models/train', headers: admin })).json().error, /no training data: start it with --training-data DIR/);
  await untrained.close();

  const app = await server({ db, dataDir, trainingData: trainingData() });
  t.after(() => app.close());
  const shipped = await labelsOfRun(app, analyst);
  assert.ok(shipped.every((row) => row.topics !== 'mobile' || row.incident !== 'processus_sav'), 'the shipped model does not know zorglub');

  assert.equal((await app.inject({ method: 'POST', url: '/api/models/train', headers: analyst })).statusCode, 403);
  const started = await app.inject({ method: 'POST', url: '/api/models/train', headers: admin });
  assert.equal(started.statusCode, 202, started.body);
  assert.equal(started.json().training.status, 'training');
  assert.equal((await app.inject({ method: 'POST', url: '/api/models/train', headers: admin })).statusCode, 409, 'one at a time');
  let registry = started.json();
  for (let waited = 0; registry.training.status === 'training' && waited < 120_000; waited += 200) {
    await sleep(200);
    registry = (await app.inject({ url: '/api/models', headers: viewer })).json();
  }
  assert.equal(registry.training.status, 'done', registry.training.error);
  assert.equal(registry.current, 'shipped');
  const [candidate] = registry.models;
  assert.equal(candidate.id, registry.training.model);
  assert.deepEqual([candidate.trainedOn.corrections, candidate.trainedOn.heldOutCorrections], [80 - heldOut, heldOut]);
  const onHeldOut = candidate.evaluation.find((comparison: { set: string }) => comparison.set === 'held-out corrections');
  assert.ok(onHeldOut.candidate.meanMacroF1 > onHeldOut.current.meanMacroF1, 'it learnt what the corrections teach');
  assert.deepEqual(candidate.evaluation.map((comparison: { set: string; examples: number }) => [comparison.set, comparison.examples]), [['held-out corrections', heldOut], ['dev', 18]]);
  // The shipped model learnt from dev (--include-dev): dev is shown, and only the held-out corrections judge.
  assert.deepEqual(candidate.evaluation.map((comparison: { judged: boolean; note?: string }) => [comparison.judged, comparison.note]), [[true, undefined], [false, 'the default was trained on it']]);
  assert.equal(registry.training.verdict.promotable, true, registry.training.verdict.reason);
  assert.match(readFileSync(join(dataDir, 'models', `${candidate.id}.md`), 'utf8'), /held out to judge the model[\s\S]*## Against the default/);

  assert.equal((await app.inject({ method: 'POST', url: `/api/models/${candidate.id}/promote`, headers: analyst })).statusCode, 403);
  const promoted = await app.inject({ method: 'POST', url: `/api/models/${candidate.id}/promote`, headers: admin, payload: {} });
  assert.equal(promoted.statusCode, 200, promoted.body);
  assert.equal(promoted.json().current, candidate.id);
  const retrained = await labelsOfRun(app, analyst);
  assert.deepEqual(retrained.map((row) => [row.topics, row.incident, row.label_source]), retrained.map(() => ['mobile', 'processus_sav', 'rules+model']), 'new runs classify with the promoted model');

  const explained = fmc(['explain', zorglub(2000), '--json', '--data-dir', dataDir]);
  assert.equal(JSON.parse(explained.stdout).perLabel.topics.value, 'mobile', 'fmc explain explains with the default model');

  // A model trained on scrambled labels regresses on dev against the promoted one: registered, refused promotion.
  const bad = fmc(['models', 'train', '--training-data', trainingData(true), '--data-dir', dataDir]);
  assert.equal(bad.code, 0, bad.stderr);
  assert.match(bad.stderr, /registered; not promotable: it regresses beyond the margin \(0\.02\) on dev: mean macro-F1/);
  assert.match(bad.stdout, /\| dev \(18\) \| candidate \|/);
  const badId = /^(\S+) registered/m.exec(bad.stderr)?.[1] as string;
  const refused = fmc(['models', 'promote', badId, '--training-data', trainingData(), '--data-dir', dataDir]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, new RegExp(`${badId} is not promoted: it regresses .* \\(--force promotes it anyway\\)`));
  const refusedByApi = await app.inject({ method: 'POST', url: `/api/models/${badId}/promote`, headers: admin, payload: {} });
  assert.deepEqual([refusedByApi.statusCode, /is not promoted: it regresses/.test(refusedByApi.json().error)], [409, true]);
  assert.equal((await app.inject({ url: '/api/models', headers: viewer })).json().current, candidate.id);
  const listed = fmc(['models', 'list', '--data-dir', dataDir]).stdout;
  assert.match(listed, new RegExp(`^\\* ${candidate.id} · .* · ${80 - heldOut} corrections · held-out corrections ${heldOut}: `, 'm'));
  assert.match(listed, new RegExp(`^  ${badId} · `, 'm'));
  assert.match(listed, /^  shipped/m);

  // A backup holds the registry: restored elsewhere, the same default.
  const backupFile = join(tempDir(), 'backup.tar.gz');
  assert.match(fmc(['backup', '--out', backupFile, '--data-dir', dataDir]).stdout, /, 5 model registry file\(s\)\)/);
  const restored = join(tempDir(), 'restored');
  assert.equal(fmc(['restore', backupFile, '--data-dir', restored]).code, 0);
  assert.equal(JSON.parse(fmc(['models', 'list', '--json', '--data-dir', restored]).stdout).current, candidate.id);

  // Rollback (from the command line, while the server runs): new runs are the shipped model's again.
  const rolledBack = fmc(['models', 'rollback', '--data-dir', dataDir]);
  assert.equal(rolledBack.code, 0, rolledBack.stderr);
  assert.match(rolledBack.stderr, /the default model is the shipped one again/);
  assert.deepEqual(await labelsOfRun(app, analyst), shipped);
  assert.equal((await app.inject({ method: 'POST', url: '/api/models/rollback', headers: admin })).statusCode, 409, 'nothing left to roll back');
  const audit = (await app.inject({ url: '/api/audit', headers: admin })).json().entries.map((entry: { action: string }) => entry.action);
  assert.deepEqual(audit.filter((action: string) => action.startsWith('model.')), ['model.train', 'model.promote', 'model.train', 'model.rollback']);
});

test('fmc feedback export then fmc train --extra: the model learns what the corrections teach, and its card says so', () => {
  const dataDir = tempDir();
  correct(openDatabase(dataDir, () => undefined));
  const out = join(tempDir(), 'corrections.jsonl');
  assert.equal(fmc(['feedback', 'export', '--out', out, '--data-dir', dataDir]).code, 0);
  const models = tempDir();
  mkdirSync(models, { recursive: true });
  const data = trainingData();
  const trained = fmc(['train', '--train', join(data, 'train.jsonl'), '--extra', out, '--extra-weight', '2', '--out', join(models, 'taught')]);
  assert.equal(trained.code, 0, trained.stderr);
  const card = readFileSync(join(models, 'taught.md'), 'utf8');
  assert.match(card, /80 tweets labelled by the care team/);
  assert.match(card, /a corrected tweet 2\./);
  const labels = loadClassifier(join(models, 'taught.fmcmodel')).classify({ tweet: cleanTweet(zorglub(5000)) });
  assert.deepEqual([labels.topics, labels.incident], ['mobile', 'processus_sav']);
});
