import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmc, tempDir } from './helpers.js';

const FIXTURE = 'test/fixtures/tweets.csv';

test('every run is recorded: input hash, mode, figures, problems; rows only with --store', () => {
  const env = { FMC_DATA_DIR: tempDir() };
  assert.equal(fmc(['classify', FIXTURE, '--out', join(tempDir(), 'a.csv')], undefined, env).code, 0);
  assert.equal(fmc(['classify', FIXTURE, '--out', join(tempDir(), 'b.jsonl'), '--store'], undefined, env).code, 0);
  const runs = fmc(['runs', 'list', '--json'], undefined, env).stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(runs.map((run) => run.id), [2, 1]);
  const [stored, plain] = runs;
  assert.equal(plain.storedRows, 0);
  assert.equal(stored.storedRows, 6);
  assert.equal(stored.status, 'done');
  assert.equal(stored.mode, 'fast');
  assert.equal(stored.inputName, FIXTURE);
  assert.equal(stored.inputSha256, createHash('sha256').update(readFileSync(FIXTURE)).digest('hex'));
  assert.equal(stored.rows, 6);
  assert.equal(stored.stats.duplicates, 1);
  assert.equal(stored.stats.errors, 1);
  assert.equal(Object.values(stored.stats.distributions.sentiment as Record<string, number>).reduce((a, b) => a + b, 0), 6);
  assert.ok(stored.stats.phaseMs.classify >= 0);
  assert.deepEqual(stored.stats.cache.classify, { memory: 0, disk: 4, misses: 0 });
  assert.ok(stored.problems.some((problem: string) => /tweets\.csv:6: empty text/.test(problem)), stored.problems.join('\n'));

  const shown = JSON.parse(fmc(['runs', 'show', '2', '--rows', '2', '--json'], undefined, env).stdout);
  assert.deepEqual(shown.rowsShown.map((row: Record<string, string>) => row.id), ['000101', '000102']);
  assert.equal(typeof shown.rowsShown[0].sentiment, 'string');

  const text = fmc(['runs', 'show', '2'], undefined, env);
  assert.match(text.stdout, /run 2 · done · mode fast/);
  assert.match(text.stdout, /6 rows in .* rows\/s/);
  assert.match(text.stdout, /6 rows stored/);
  const table = fmc(['runs', 'list'], undefined, env).stdout;
  assert.match(table, /^id\s+status\s+started\s+mode\s+rows/);
  assert.match(table, /\n2\s+done\s+.*fast\s+6\s+.*yes\s+test\/fixtures\/tweets\.csv/);
});

test('runs show explains an unknown or malformed run id', () => {
  const env = { FMC_DATA_DIR: tempDir() };
  assert.equal(fmc(['classify', FIXTURE, '--out', join(tempDir(), 'a.csv')], undefined, env).code, 0);
  const unknown = fmc(['runs', 'show', '9'], undefined, env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no run 9: see `fmc runs list`/);
  assert.equal(fmc(['runs', 'show', 'abc'], undefined, env).code, 2);
});

test('an unusable data directory fails before any work with a clear message', () => {
  assert.equal(fmc(['classify', FIXTURE, '--out', join(tempDir(), 'x.csv')], undefined, { FMC_DATA_DIR: FIXTURE }).code, 2);
  const result = fmc(['classify', FIXTURE, '--out', join(tempDir(), 'x.csv'), '--data-dir', join(FIXTURE, 'sub')]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /cannot use the data directory .*tweets\.csv\/sub/);
});
