/**
 * Runs that survive: a server killed mid-run finishes the run at its next
 * start with every row once; SIGTERM lets runs end within the grace period or
 * leaves them to be resumed; backups taken while a run writes restore to a
 * directory that serves the same runs, rows, cache, users and keys.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { AccountStore } from '../src/auth/index.js';
import { cacheStats } from '../src/cache/index.js';
import { sqliteSql } from '../src/store/sql.js';
import { openDatabase, pruneBackups, RunStore } from '../src/store/index.js';
import { fmc, fmcProcess, manyTweets, tempDir, writeTemp } from './helpers.js';
import { finished, multipart, server, upload } from './http.js';

/** `fmc serve` as a process on a data directory; resolves with its URL once it listens. Killed after the test if still alive. */
async function serve(t: TestContext, dataDir: string, args: string[] = []) {
  // The test polls runs faster than the default rate limit allows.
  const process = fmcProcess(['serve', '--port', '0', '--log-level', 'warn', '--rate-limit', '100000', ...args], { FMC_DATA_DIR: dataDir });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    process.child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /FreeMobilaChat on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match) resolve(match[1] as string);
    });
    process.child.on('exit', () => reject(new Error(`serve stopped: ${stderr}`)));
  });
  t.after(() => {
    if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGKILL');
  });
  return { ...process, url };
}

async function json(url: string, init: RequestInit = {}): Promise<Record<string, any>> {
  const response = await fetch(url, init);
  return (await response.json()) as Record<string, any>;
}

async function uploadOver(url: string, rows: number): Promise<number> {
  const body = multipart({ name: 'big.csv', content: manyTweets(rows) });
  const created = await json(`${url}/api/runs`, { method: 'POST', headers: body.headers, body: body.payload });
  assert.equal(typeof created.id, 'number', JSON.stringify(created));
  return created.id as number;
}

/** Waits until the run has stored some rows (it is mid-run), or fails the test if it ended first. */
async function midRun(url: string, id: number): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 20) {
    const run = await json(`${url}/api/runs/${id}`);
    if (run.storedRows > 0 && run.status === 'running') return;
    assert.notEqual(run.status, 'done', 'the run ended before it could be interrupted: make the input bigger');
    await sleep(20);
  }
  throw new Error(`run ${id} never started`);
}

async function doneOver(url: string, id: number): Promise<Record<string, any>> {
  for (let waited = 0; waited < 120_000; waited += 100) {
    const run = await json(`${url}/api/runs/${id}`);
    if (run.status === 'done' || run.status === 'failed') return run;
    await sleep(100);
  }
  throw new Error(`run ${id} did not finish`);
}

/** Positions 0…n-1 each once, and the ids of the input in order. */
function assertEveryRowOnce(dataDir: string, id: number, rows: number): void {
  const db = openDatabase(dataDir, () => undefined);
  try {
    const stored = db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT position) AS positions, MIN(position) AS first, MAX(position) AS last FROM run_rows WHERE run_id = ?').get(id);
    assert.deepEqual(stored, { n: rows, positions: rows, first: 0, last: rows - 1 });
    const ids = new RunStore(db).rows(id, rows - 3, 3).map((record) => record.id);
    assert.deepEqual(ids, [String(rows - 2), String(rows - 1), String(rows)]);
  } finally {
    db.close();
  }
}

test('a server killed with SIGKILL mid-run finishes the run at its next start, every row exactly once', async (t) => {
  const dataDir = tempDir();
  const rows = 60_000;
  const first = await serve(t, dataDir);
  const id = await uploadOver(first.url, rows);
  await midRun(first.url, id);
  first.child.kill('SIGKILL');
  await first.done;
  assert.equal(readdirSync(join(dataDir, 'uploads')).length, 1, 'the input is kept until the run ends');

  const second = await serve(t, dataDir);
  const run = await doneOver(second.url, id);
  assert.equal(run.status, 'done', run.error);
  assert.deepEqual([run.rows, run.storedRows], [rows, rows]);
  // The input is deleted just after the run is marked done.
  for (let attempt = 0; attempt < 50 && readdirSync(join(dataDir, 'uploads')).length > 0; attempt++) await sleep(100);
  assert.deepEqual(readdirSync(join(dataDir, 'uploads')), [], 'the input is deleted once the run is done');
  second.child.kill('SIGTERM');
  assert.equal((await second.done).code, 0);
  assertEveryRowOnce(dataDir, id, rows);
});

test('SIGTERM: a run that ends within the grace period ends; one that does not is resumed at the next start', async (t) => {
  const dataDir = tempDir();
  const patient = await serve(t, dataDir, ['--shutdown-grace', '120']);
  const finishedInGrace = await uploadOver(patient.url, 20_000);
  await midRun(patient.url, finishedInGrace);
  patient.child.kill('SIGTERM');
  assert.equal((await patient.done).code, 0);
  const store = () => {
    const db = openDatabase(dataDir, () => undefined);
    const runs = new RunStore(db);
    return { runs, close: () => db.close() };
  };
  let view = store();
  assert.equal(view.runs.get(finishedInGrace)?.status, 'done');
  view.close();

  const hurried = await serve(t, dataDir, ['--shutdown-grace', '0']);
  const resumed = await uploadOver(hurried.url, 60_000);
  await midRun(hurried.url, resumed);
  hurried.child.kill('SIGTERM');
  assert.equal((await hurried.done).code, 0);
  view = store();
  assert.equal(view.runs.get(resumed)?.status, 'running', 'left for the next start, not failed');
  view.close();

  const next = await serve(t, dataDir);
  const run = await doneOver(next.url, resumed);
  assert.equal(run.status, 'done', run.error);
  next.child.kill('SIGTERM');
  await next.done;
  assertEveryRowOnce(dataDir, resumed, 60_000);
});

test('a run whose input is gone fails at the next start, saying so', async (t) => {
  const dataDir = tempDir();
  const db = openDatabase(dataDir, () => undefined);
  const id = new RunStore(db).start('lost.csv', 'fast', 'running', { inputPath: 'uploads/lost.csv' });
  const app = await server({ db, dataDir });
  t.after(() => app.close());
  const run = (await app.inject(`/api/runs/${id}`)).json();
  assert.equal(run.status, 'failed');
  assert.match(run.error, /interrupted, and cannot be resumed: its input .*uploads\/lost\.csv is gone/);
});

async function apiView(app: FastifyInstance, key: string) {
  const headers = { authorization: `Bearer ${key}` };
  const runs = (await app.inject({ url: '/api/runs', headers })).json().runs as Array<Record<string, any>>;
  const tweets = await Promise.all(runs.map(async (run) => (await app.inject({ url: `/api/runs/${run.id}/tweets?pageSize=500&sort=confidence`, headers })).json()));
  return { runs: runs.map(({ id, status, rows, storedRows, inputName, owner }) => ({ id, status, rows, storedRows, inputName, owner })), tweets };
}

test('fmc backup while a run writes, fmc restore elsewhere: the same runs, rows, cache, users and keys', async (t) => {
  const dataDir = tempDir();
  const db = openDatabase(dataDir, () => undefined);
  const accounts = new AccountStore(sqliteSql(db));
  await accounts.addUser('ops', 'admin', 'a long enough password');
  const { key } = await accounts.createKey('ops', 'backup test');
  const app = await server({ db, dataDir });
  t.after(() => app.close());
  const headers = { authorization: `Bearer ${key}` };
  const small = await upload(app, 'small.csv', manyTweets(500), {}, headers);
  await finished(app, small.json().id, headers);
  const big = await upload(app, 'big.csv', manyTweets(60_000), {}, headers);
  const bigId = big.json().id as number;
  while ((await app.inject({ url: `/api/runs/${bigId}`, headers })).json().storedRows === 0) await sleep(20);
  // While the run writes: a backup from another process, as an operator would take it.
  const duringRun = join(tempDir(), 'during.tar.gz');
  const backup = fmc(['backup', '--out', duringRun], undefined, { FMC_DATA_DIR: dataDir });
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, /backed up .* \(\d+\.\d MB, 1 kept input\(s\), 0 model registry file\(s\)\)/);
  assert.equal((await finished(app, bigId, headers)).status, 'done');

  // Restored, the interrupted run resumes from its kept input and ends as the original did.
  const restoredDuring = tempDir();
  assert.equal(fmc(['restore', duringRun, '--data-dir', restoredDuring]).code, 0);
  const fromDuring = await server({ dataDir: restoredDuring });
  t.after(() => fromDuring.close());
  const resumed = await finished(fromDuring, bigId, headers);
  assert.equal(resumed.status, 'done', JSON.stringify(resumed));
  assert.deepEqual(await apiView(fromDuring, key), await apiView(app, key));

  // A backup of the finished state restores everything, the cache included.
  const after = join(tempDir(), 'after.tar.gz');
  assert.equal(fmc(['backup', '--out', after], undefined, { FMC_DATA_DIR: dataDir }).code, 0);
  const restored = tempDir();
  assert.equal(fmc(['restore', after, '--data-dir', restored]).code, 0);
  const restoredDb = openDatabase(restored, () => undefined);
  const fromAfter = await server({ db: restoredDb, dataDir: restored });
  t.after(() => fromAfter.close());
  assert.deepEqual(await apiView(fromAfter, key), await apiView(app, key));
  assert.deepEqual(cacheStats(restoredDb).entries, cacheStats(db).entries);
  assert.equal(cacheStats(db).entries, 60_000, "each distinct tweet cached once (the small run's are among the big one's)");
  assert.deepEqual(await new AccountStore(sqliteSql(restoredDb)).users(), await accounts.users());

  const refused = fmc(['restore', after, '--data-dir', restored]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /is not empty .*pass --force/);
  assert.equal(fmc(['restore', after, '--data-dir', restored, '--force']).code, 0);
  const notBackup = writeTemp('x.tar.gz', 'not a backup');
  assert.notEqual(fmc(['restore', notBackup, '--data-dir', tempDir()]).code, 0);
});

test('serve --backup-dir writes a backup at start when none is a day old; --backup-keep prunes the oldest', async (t) => {
  const dataDir = tempDir();
  const backups = join(tempDir(), 'backups');
  const served = await serve(t, dataDir, ['--backup-dir', backups, '--backup-keep', '2']);
  for (let attempt = 0; attempt < 100 && !(existsSync(backups) && readdirSync(backups).some((name) => name.endsWith('.tar.gz'))); attempt++) await sleep(100);
  served.child.kill('SIGTERM');
  await served.done;
  const written = readdirSync(backups);
  assert.equal(written.length, 1, written.join(', '));
  assert.match(written[0] as string, /^fmc-backup-\d{8}-\d{6}\.tar\.gz$/);
  for (const day of ['20261101', '20261102', '20261103']) writeFileSync(join(backups, `fmc-backup-${day}-030000.tar.gz`), '');
  assert.deepEqual(await pruneBackups(backups, 2), ['fmc-backup-20261101-030000.tar.gz', 'fmc-backup-20261102-030000.tar.gz']);
});
