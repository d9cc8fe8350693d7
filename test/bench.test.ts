import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readReportData, renderReport, type BenchResult } from '../src/bench/index.js';
import type { RunStats } from '../src/pipeline/index.js';
import { startFakeLlm } from './fake-llm.js';
import { fmc, tempDir, writeTemp } from './helpers.js';

function stats(totalMs: number, classifyMs: number, cache: RunStats['cache']): RunStats {
  return {
    rows: 1000,
    unique: 800,
    duplicates: 200,
    errors: 0,
    distributions: { sentiment: {}, is_claim: {}, urgence: {}, topics: {}, incident: {} },
    meanConfidence: 0.6,
    phaseMs: { read_clean: 100, classify: classifyMs, llm: 0, write: 50 },
    cache,
    totalMs,
    peakRssBytes: 150 * 2 ** 20,
  };
}

const RESULT: BenchResult = {
  date: '2026-11-25 10:00 UTC',
  machine: { cpu: 'Test CPU', cores: 2, memoryBytes: 8 * 2 ** 30, node: 'v20.0.0', os: 'Linux 6' },
  input: { description: 'a fixture', rows: 1000, bytes: 100 * 1024 },
  classifier: 'model-default-0123456789ab',
  runs: [
    { mode: 'fast', run: 'cold', wallMs: 2000, stats: stats(1900, 400, { classify: { memory: 0, disk: 0, misses: 800 } }) },
    { mode: 'fast', run: 'warm', wallMs: 500, stats: stats(450, 20, { classify: { memory: 0, disk: 760, misses: 40 } }) },
  ],
  skipped: [{ mode: 'balanced', reason: 'LLM unreachable at http://127.0.0.1:11434' }],
  throughput: { rulesTweetsPerSecond: 60000, modelTweetsPerSecond: 20000, modelLoadMs: 17, modelBytes: 12 * 2 ** 20 },
};

test('the report shows the machine, each run, skipped modes, phase bars and throughput', () => {
  const report = renderReport(RESULT);
  assert.match(report, /\| Test CPU \| 2 \| 8\.0 GiB \| v20\.0\.0 \| Linux 6 \|/);
  assert.match(report, /a fixture: 1,000 rows, 100 KiB/);
  assert.match(report, /\| fast \| cold \| 2\.00 s \| 500 \| 150 MB \| 0\.0% \| 800 \| 200 \| 0 \| 0 \|/);
  assert.match(report, /\| fast \| warm \| 0\.50 s \| 2,000 \| 150 MB \| 95\.0% \|/);
  assert.match(report, /\| balanced \| skipped \| LLM unreachable at http:\/\/127\.0\.0\.1:11434 \|/);
  assert.match(report, /the warm run took 25% of the cold run's time \(4\.0× faster\)/);
  // The longest phase fills the bar; the others are in proportion.
  assert.match(report, /classify {3}█{30} 400 ms/);
  assert.match(report, /read_clean █{8}░{22} 100 ms/);
  assert.match(report, /\| 60,000 tweets\/s \| 20,000 tweets\/s \| 17 ms \| 12\.0 MB \|/);
  assert.doesNotMatch(report, /Compared with/);
  assert.deepEqual(readReportData(report), RESULT);
});

test('a report compares itself with the previous one', () => {
  const faster: BenchResult = { ...RESULT, date: '2026-11-26 10:00 UTC', runs: RESULT.runs.map((run) => ({ ...run, wallMs: run.wallMs / 2 })) };
  const report = renderReport(faster, RESULT);
  assert.match(report, /## Compared with the previous report \(2026-11-25 10:00 UTC\)/);
  assert.match(report, /\| fast \| cold \| 2\.00 s \| 1\.00 s \| -50% \| 500 \| 1,000 \|/);
  assert.match(report, /\| fast \| warm \| 0\.50 s \| 0\.25 s \| -50% \|/);
  assert.equal(readReportData('# a report written by hand\n'), undefined);
});

test('fmc bench runs each mode cold then warm and writes the report; a mode without its LLM is skipped', async () => {
  const gone = await startFakeLlm();
  await gone.close();
  const input = writeTemp('tweets.csv', 'id,author,text\n1,a,"plus d\'internet depuis hier"\n2,b,"merci free, tout marche"\n3,c,"plus d\'internet depuis hier"\n');
  const report = join(tempDir(), 'report.md');
  const result = fmc(['bench', '--input', input, '--rows', '30', '--modes', 'fast', 'balanced', '--report', report], undefined, { FMC_LLM_URL: gone.url });
  assert.equal(result.code, 0, result.stderr);
  const data = readReportData(readFileSync(report, 'utf8'));
  assert.ok(data);
  assert.deepEqual(data.runs.map((run) => [run.mode, run.run, run.stats.rows, run.stats.unique]), [['fast', 'cold', 30, 20], ['fast', 'warm', 30, 20]]);
  assert.deepEqual(data.runs.map((run) => run.stats.cache?.classify), [{ memory: 0, disk: 0, misses: 20 }, { memory: 0, disk: 20, misses: 0 }]);
  assert.equal(data.skipped[0]?.mode, 'balanced');
  assert.match(data.skipped[0]?.reason ?? '', /^cannot reach Ollama at http:\/\/127\.0\.0\.1:\d+: fetch failed \(ECONNREFUSED\)/);
  assert.ok(data.throughput.modelTweetsPerSecond > 0);
  assert.match(result.stdout, /# FreeMobilaChat benchmark/);
});
