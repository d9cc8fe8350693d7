import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheKey, LabelCache } from '../src/cache/index.js';
import { createRulesClassifier } from '../src/classify/rules.js';
import type { TweetClassifier } from '../src/classify/types.js';
import { createPipeline } from '../src/pipeline/index.js';
import { openDatabase } from '../src/store/index.js';
import type { InputRow } from '../src/ingest/types.js';
import type { Labels } from '../src/labels.js';
import { fmc, fmcProcess, manyTweets, TEXTS, tempDir, writeTemp } from './helpers.js';

const LABELS: Labels = { sentiment: 'negatif', is_claim: 'oui', urgence: 'haute', topics: 'fibre', incident: 'panne_technique', confidence: 0.7 };

function rowsOf(texts: readonly string[]): AsyncIterable<InputRow> {
  return (async function* () {
    for (const [index, text] of texts.entries()) yield { index, line: index + 2, id: String(index + 1), text, fields: { id: String(index + 1), text } };
  })();
}

async function runPipeline(classifier: TweetClassifier, cache: LabelCache, texts: readonly string[]) {
  const pipeline = createPipeline({ classifier, cache });
  const labels: Labels[] = [];
  for await (const row of pipeline.run(rowsOf(texts))) labels.push(row.labels);
  return { labels, stats: pipeline.finish() };
}

function summaryCounts(stderr: string): { hits: string; memory: number; disk: number; misses: number } {
  const match = /cache \(rules \+ model\): ([\d.]+%) hits · memory ([\d,]+) · disk ([\d,]+) · misses ([\d,]+)/.exec(stderr);
  assert.ok(match, stderr);
  const number = (text: string | undefined) => Number((text ?? '').replace(/,/g, ''));
  return { hits: match[1] as string, memory: number(match[2]), disk: number(match[3]), misses: number(match[4]) };
}

test('the memory level evicts the least recently used entries by count', () => {
  const cache = new LabelCache(undefined, { maxEntries: 2, maxBytes: 1_000_000 });
  cache.set('a', 'c', LABELS);
  cache.set('b', 'c', LABELS);
  cache.getMany(['a']); // a is now more recent than b
  cache.set('c', 'c', LABELS);
  assert.equal(cache.memoryEntries, 2);
  assert.deepEqual(cache.getMany(['a', 'b', 'c']).map((hit) => hit?.level), ['memory', undefined, 'memory']);
});

test('the memory level evicts by bytes', () => {
  const cache = new LabelCache(undefined, { maxEntries: 1000, maxBytes: 600 });
  for (let i = 0; i < 10; i++) cache.set(`key-${i}`, 'c', LABELS);
  assert.ok(cache.memoryEntries >= 1 && cache.memoryEntries <= 4, `${cache.memoryEntries} entries in 600 bytes`);
  assert.equal(cache.getMany(['key-0'])[0], undefined);
  assert.equal(cache.getMany(['key-9'])[0]?.level, 'memory');
});

test('the key changes with the classifier id (model version) and the text', () => {
  assert.notEqual(cacheKey('model-default-aaaaaaaaaaaa', 'panne'), cacheKey('model-default-bbbbbbbbbbbb', 'panne'));
  assert.notEqual(cacheKey('rules-1', 'panne'), cacheKey('rules-1', 'panne !'));
  assert.equal(cacheKey('rules-1', 'panne'), cacheKey('rules-1', 'panne'));
});

test('a new model never reads the entries of another model', async () => {
  const db = openDatabase(tempDir(), () => assert.fail('no warning expected'));
  const rules = createRulesClassifier();
  const first = await runPipeline(rules, new LabelCache(db), TEXTS);
  assert.deepEqual(first.stats.cache?.classify, { memory: 0, disk: 0, misses: TEXTS.length });
  const again = await runPipeline(rules, new LabelCache(db), TEXTS);
  assert.deepEqual(again.stats.cache?.classify, { memory: 0, disk: TEXTS.length, misses: 0 });
  assert.deepEqual(again.labels, first.labels);
  const retrained: TweetClassifier = { id: `${rules.id}-retrained`, classify: () => LABELS };
  const other = await runPipeline(retrained, new LabelCache(db), TEXTS);
  assert.deepEqual(other.stats.cache?.classify, { memory: 0, disk: 0, misses: TEXTS.length });
  assert.ok(other.labels.every((labels) => labels.incident === 'panne_technique'));
  db.close();
});

test('a second run in a new process reads the labels from disk and writes the same output', () => {
  const dataDir = tempDir();
  const input = writeTemp('tweets.csv', manyTweets(300));
  const [out1, out2] = [join(tempDir(), 'a.csv'), join(tempDir(), 'b.csv')];
  const cold = fmc(['classify', input, '--out', out1], undefined, { FMC_DATA_DIR: dataDir });
  assert.equal(cold.code, 0, cold.stderr);
  assert.deepEqual(summaryCounts(cold.stderr), { hits: '0.0%', memory: 0, disk: 0, misses: 300 });
  const warm = fmc(['classify', input, '--out', out2], undefined, { FMC_DATA_DIR: dataDir });
  assert.equal(warm.code, 0, warm.stderr);
  assert.deepEqual(summaryCounts(warm.stderr), { hits: '100.0%', memory: 0, disk: 300, misses: 0 });
  assert.equal(readFileSync(out2, 'utf8'), readFileSync(out1, 'utf8'));
  const skipped = fmc(['classify', input, '--out', out2, '--no-cache'], undefined, { FMC_DATA_DIR: dataDir });
  assert.match(skipped.stderr, /cache: not used/);
  assert.equal(readFileSync(out2, 'utf8'), readFileSync(out1, 'utf8'));
});

test('two runs at once on one data directory both finish with the right output', async () => {
  const dataDir = tempDir();
  const input = writeTemp('tweets.csv', manyTweets(4000));
  const reference = join(tempDir(), 'reference.csv');
  assert.equal(fmc(['classify', input, '--out', reference, '--no-cache']).code, 0);
  const outs = [join(tempDir(), 'one.csv'), join(tempDir(), 'two.csv')];
  const results = await Promise.all(outs.map((out) => fmcProcess(['classify', input, '--out', out, '--store'], { FMC_DATA_DIR: dataDir }).done));
  for (const [i, result] of results.entries()) {
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(outs[i] as string, 'utf8'), readFileSync(reference, 'utf8'));
  }
  const stats = fmc(['cache', 'stats', '--json'], undefined, { FMC_DATA_DIR: dataDir });
  assert.equal(JSON.parse(stats.stdout).entries, 4000);
  const runs = fmc(['runs', 'list', '--json'], undefined, { FMC_DATA_DIR: dataDir }).stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(runs.map((run) => [run.status, run.rows, run.storedRows]), [['done', 4000, 4000], ['done', 4000, 4000]]);
});

test('a run killed midway leaves a cache the next run uses', async () => {
  const dataDir = tempDir();
  const input = writeTemp('tweets.csv', manyTweets(60_000));
  const out = join(tempDir(), 'killed.csv');
  const { child, done } = fmcProcess(['classify', input, '--out', out], { FMC_DATA_DIR: dataDir });
  // Killed once a few thousand rows are written (so at least one cache batch is committed), long before the end.
  for (let waited = 0; waited < 60_000 && child.exitCode === null; waited += 20) {
    if (existsSync(`${out}.partial`) && statSync(`${out}.partial`).size > 300_000) break;
    await sleep(20);
  }
  child.kill('SIGKILL');
  const killed = await done;
  assert.equal(killed.code, null, 'the run was still going when killed');
  const next = fmc(['classify', input, '--out', out], undefined, { FMC_DATA_DIR: dataDir });
  assert.equal(next.code, 0, next.stderr);
  const counts = summaryCounts(next.stderr);
  assert.ok(counts.disk >= 500 && counts.misses > 0, JSON.stringify(counts));
  assert.equal(counts.disk + counts.misses, 60_000);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 60_001);
});

test('a corrupted database is moved aside with a warning and rebuilt', () => {
  const dataDir = tempDir();
  writeFileSync(join(dataDir, 'fmc.db'), 'this is not a database, just some bytes that were left here '.repeat(100));
  const input = writeTemp('tweets.csv', manyTweets(20));
  const out = join(tempDir(), 'out.csv');
  const result = fmc(['classify', input, '--out', out], undefined, { FMC_DATA_DIR: dataDir });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /warning: .*fmc\.db was not a usable database \(SQLITE_NOTADB\); moved it to .*fmc\.db\.corrupt-/);
  assert.equal(readdirSync(dataDir).filter((name) => name.startsWith('fmc.db.corrupt-')).length, 1);
  const again = fmc(['classify', input, '--out', out], undefined, { FMC_DATA_DIR: dataDir });
  assert.doesNotMatch(again.stderr, /warning/);
  assert.equal(summaryCounts(again.stderr).disk, 20);
});

test('cache stats and clear report and empty the cache', () => {
  const dataDir = tempDir();
  const input = writeTemp('tweets.csv', manyTweets(30));
  assert.equal(fmc(['classify', input, '--out', join(tempDir(), 'o.csv')], undefined, { FMC_DATA_DIR: dataDir }).code, 0);
  const stats = JSON.parse(fmc(['cache', 'stats', '--json'], undefined, { FMC_DATA_DIR: dataDir }).stdout);
  assert.equal(stats.entries, 30);
  assert.deepEqual(Object.values(stats.byClassifier), [30]);
  assert.match(Object.keys(stats.byClassifier)[0] ?? '', /^model-default-[0-9a-f]{12}$/);
  const cleared = fmc(['cache', 'clear'], undefined, { FMC_DATA_DIR: dataDir });
  assert.match(cleared.stdout, /removed 30 cached classifications/);
  assert.equal(JSON.parse(fmc(['cache', 'stats', '--json'], undefined, { FMC_DATA_DIR: dataDir }).stdout).entries, 0);
  const missing = fmc(['cache', 'stats'], undefined, { FMC_DATA_DIR: join(tempDir(), 'nothing-here') });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no data in .*nothing-here/);
});
