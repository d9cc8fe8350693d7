import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readReportData, renderReport, type BenchResult } from '../src/bench/index.js';
import { realLength, realLengthTexts } from '../src/bench/real-length.js';
import type { InputBench } from '../src/bench/report.js';
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

const SHORT: InputBench = {
  kind: 'short',
  description: 'a fixture',
  rows: 1000,
  bytes: 100 * 1024,
  runs: [
    { mode: 'fast', run: 'cold', wallMs: 2000, stats: stats(1900, 400, { classify: { memory: 0, disk: 0, misses: 800 } }) },
    { mode: 'fast', run: 'warm', wallMs: 500, stats: stats(450, 20, { classify: { memory: 0, disk: 760, misses: 40 } }) },
  ],
  skipped: [{ mode: 'balanced', reason: 'LLM unreachable at http://127.0.0.1:11434' }],
  throughput: { rulesTweetsPerSecond: 60000, modelTweetsPerSecond: 20000, threads: 2, threadsTweetsPerSecond: 36000, modelLoadMs: 17, modelBytes: 12 * 2 ** 20 },
};

const RESULT: BenchResult = {
  date: '2026-11-25 10:00 UTC',
  machine: { cpu: 'Test CPU', cores: 2, memoryBytes: 8 * 2 ** 30, node: 'v20.0.0', os: 'Linux 6' },
  classifier: 'model-default-0123456789ab',
  inputs: [SHORT, { ...SHORT, kind: 'real-length', description: 'longer tweets', bytes: 200 * 1024, throughput: { ...SHORT.throughput, modelTweetsPerSecond: 10000 } }],
};

test('the report shows the machine, each run, skipped modes, phase bars and throughput', () => {
  const report = renderReport(RESULT);
  assert.match(report, /\| Test CPU \| 2 \| 8\.0 GiB \| v20\.0\.0 \| Linux 6 \|/);
  assert.match(report, /## Input: short\n\na fixture: 1,000 rows, 100 KiB/);
  assert.match(report, /## Input: real-length\n\nlonger tweets: 1,000 rows, 200 KiB/);
  assert.match(report, /\| fast \| cold \| 2\.00 s \| 500 \| 150 MB \| 0\.0% \| 800 \| 200 \| 0 \| 0 \|/);
  assert.match(report, /\| fast \| warm \| 0\.50 s \| 2,000 \| 150 MB \| 95\.0% \|/);
  assert.match(report, /\| balanced \| skipped \| LLM unreachable at http:\/\/127\.0\.0\.1:11434 \|/);
  assert.match(report, /the warm run took 25% of the cold run's time \(4\.0× faster\)/);
  // The longest phase fills the bar; the others are in proportion.
  assert.match(report, /classify {3}█{30} 400 ms/);
  assert.match(report, /read_clean █{8}░{22} 100 ms/);
  assert.match(report, /clean \+ rules \+ model, 2 threads/);
  assert.match(report, /\| 60,000 tweets\/s \| 20,000 tweets\/s \| 36,000 tweets\/s \| 17 ms \| 12\.0 MB \|/);
  assert.match(report, /\| 60,000 tweets\/s \| 10,000 tweets\/s \| 36,000 tweets\/s \| 17 ms \| 12\.0 MB \|/);
  assert.doesNotMatch(report, /Compared with/);
  assert.deepEqual(readReportData(report), RESULT);
});

test('a report compares itself with the previous one, input by input, also with a report of the one-input format', () => {
  const faster: BenchResult = { ...RESULT, date: '2026-11-26 10:00 UTC', inputs: RESULT.inputs.map((input) => ({ ...input, runs: input.runs.map((run) => ({ ...run, wallMs: run.wallMs / 2 })) })) };
  const report = renderReport(faster, RESULT);
  assert.match(report, /## Compared with the previous report \(2026-11-25 10:00 UTC\)/);
  assert.match(report, /\| short \| fast \| cold \| 1,000 \| 1,000 \| 2\.00 s \| 1\.00 s \| -50% \| 500 \| 1,000 \|/);
  assert.match(report, /\| real-length \| fast \| warm \| 1,000 \| 1,000 \| 0\.50 s \| 0\.25 s \| -50% \|/);
  assert.equal(readReportData('# a report written by hand\n'), undefined);
  const { inputs, ...rest } = RESULT;
  const { kind, description, rows, bytes, ...figures } = inputs[0] as InputBench;
  const oneInput = `<!-- fmc-bench-data ${JSON.stringify({ ...rest, input: { description, rows, bytes }, ...figures })} -->`;
  assert.deepEqual(readReportData(oneInput)?.inputs, [{ kind, description, rows, bytes, ...figures }]);
  assert.match(renderReport(faster, readReportData(oneInput)), /\| real-length \| fast \| cold \| - \| 1,000 \| - \| 1\.00 s \| new \|/);
});

test('real-length tweets follow the length distribution of real tweets and are distinct', () => {
  const demo = ['bonjour ma box ne marche plus depuis ce matin', 'merci free pour la fibre, super débit', 'facture trop élevée ce mois-ci, pourquoi ?'];
  const texts = [...realLengthTexts(demo, 5000)];
  const lengths = texts.map((text) => text.length).sort((a, b) => a - b);
  const quantile = (share: number): number => lengths[Math.floor(share * (lengths.length - 1))] as number;
  const mean = lengths.reduce((sum, length) => sum + length, 0) / lengths.length;
  // Real tweets: mean 152, median 150, quartiles 85 and 215, tweets end at 280 (a row number may add a few characters).
  assert.ok(mean > 135 && mean < 160, `mean ${mean}`);
  assert.ok(Math.abs(quantile(0.5) - 150) <= 12, `median ${quantile(0.5)}`);
  assert.ok(Math.abs(quantile(0.25) - 85) <= 12, `first quartile ${quantile(0.25)}`);
  assert.ok(Math.abs(quantile(0.75) - 215) <= 12, `third quartile ${quantile(0.75)}`);
  assert.ok(quantile(1) <= 285 && quantile(0) >= 1);
  assert.equal(new Set(texts).size, texts.length);
  assert.deepEqual([...realLengthTexts(demo, 50)], texts.slice(0, 50), 'seeded: the same rows every time');
  assert.equal(realLength(0.5), 150);
  assert.equal(realLength(0), 5);
  assert.equal(realLength(1), 280);
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
  assert.deepEqual(data.inputs.map((input) => input.kind), ['short', 'real-length']);
  const [short, realLength] = data.inputs as [InputBench, InputBench];
  assert.deepEqual(short.runs.map((run) => [run.mode, run.run, run.stats.rows, run.stats.unique]), [['fast', 'cold', 30, 20], ['fast', 'warm', 30, 20]]);
  assert.deepEqual(short.runs.map((run) => run.stats.cache?.classify), [{ memory: 0, disk: 0, misses: 20 }, { memory: 0, disk: 20, misses: 0 }]);
  assert.deepEqual(realLength.runs.map((run) => [run.run, run.stats.rows, run.stats.unique]), [['cold', 30, 30], ['warm', 30, 30]]);
  assert.ok(realLength.bytes > short.bytes);
  assert.equal(short.skipped[0]?.mode, 'balanced');
  assert.match(short.skipped[0]?.reason ?? '', /^cannot reach Ollama at http:\/\/127\.0\.0\.1:\d+: fetch failed \(ECONNREFUSED\)/);
  assert.ok(short.throughput.modelTweetsPerSecond > 0);
  assert.ok((short.throughput.threadsTweetsPerSecond ?? 0) > 0);
  assert.match(result.stdout, /# FreeMobilaChat benchmark/);
});
