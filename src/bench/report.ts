/**
 * The benchmark report: what `fmc bench` measured, as markdown a person reads
 * and, in a trailing comment, as JSON the next report compares itself with.
 */
import { cacheHitRate, type Phase, type RunStats } from '../pipeline/stats.js';
import type { GeneratedKind } from './real-length.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  node: string;
  os: string;
}

export interface MeasuredRun {
  mode: string;
  run: 'cold' | 'warm';
  wallMs: number;
  stats: RunStats;
}

export interface SkippedMode {
  mode: string;
  reason: string;
}

export interface Throughput {
  rulesTweetsPerSecond: number;
  modelTweetsPerSecond: number;
  /** Clean + dedup + rules + model on this many worker threads at once (absent in older reports). */
  threads?: number;
  threadsTweetsPerSecond?: number;
  modelLoadMs: number;
  modelBytes: number;
}

/** `short`: the demo's tweets up-sampled; `real-length`: composed to real tweets' lengths; `file`: an input as given. */
export type InputKind = GeneratedKind | 'file';

/** Everything measured on one input. */
export interface InputBench {
  kind: InputKind;
  description: string;
  rows: number;
  bytes: number;
  runs: MeasuredRun[];
  skipped: SkippedMode[];
  throughput: Throughput;
}

export interface BenchResult {
  date: string;
  machine: Machine;
  classifier: string;
  inputs: InputBench[];
}

/** Reports written before real-length inputs held one input, of the short kind. */
type StoredResult = BenchResult | (Omit<BenchResult, 'inputs'> & { input: { description: string; rows: number; bytes: number }; runs: MeasuredRun[]; skipped: SkippedMode[]; throughput: Throughput });

const DATA_MARKER = 'fmc-bench-data';
const BAR_WIDTH = 30;
const integer = new Intl.NumberFormat('en-US');

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const megabytes = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MB`;
const rowsPerSecond = (run: MeasuredRun): number => Math.round(run.stats.rows / (run.wallMs / 1000));

/** Over every cached phase (rules + model, LLM). */
function hitRate(stats: RunStats): string {
  if (stats.cache === undefined) return 'off';
  const rate = cacheHitRate(stats);
  return rate === undefined ? '-' : `${(100 * rate).toFixed(1)}%`;
}

function phaseChart(stats: RunStats): string {
  const phases = Object.entries(stats.phaseMs) as Array<[Phase, number]>;
  const longest = Math.max(1, ...phases.map(([, ms]) => ms));
  const lines = phases.map(([phase, ms]) => {
    const filled = Math.round((BAR_WIDTH * ms) / longest);
    return `${phase.padEnd(10)} ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} ${integer.format(Math.round(ms))} ms`;
  });
  return ['```', ...lines, '```'].join('\n');
}

function change(before: number, after: number): string {
  if (before === 0) return '-';
  const percent = (100 * (after - before)) / before;
  return `${percent > 0 ? '+' : ''}${percent.toFixed(0)}%`;
}

function comparison(previous: BenchResult, current: BenchResult): string[] {
  const lines = [
    `## Compared with the previous report (${previous.date})`,
    '',
    '| input | mode | run | rows before | rows after | time before | time after | change | rows/s before | rows/s after |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const notes: string[] = [];
  for (const input of current.inputs) {
    const was = previous.inputs.find((candidate) => candidate.kind === input.kind);
    for (const run of input.runs) {
      const before = was?.runs.find((candidate) => candidate.mode === run.mode && candidate.run === run.run);
      const head = `| ${input.kind} | ${run.mode} | ${run.run} | ${before === undefined ? '-' : integer.format(before.stats.rows)} | ${integer.format(run.stats.rows)}`;
      if (before === undefined) lines.push(`${head} | - | ${seconds(run.wallMs)} | new | - | ${integer.format(rowsPerSecond(run))} |`);
      else lines.push(`${head} | ${seconds(before.wallMs)} | ${seconds(run.wallMs)} | ${change(before.wallMs, run.wallMs)} | ${integer.format(rowsPerSecond(before))} | ${integer.format(rowsPerSecond(run))} |`);
    }
    if (was !== undefined) {
      const [then, now] = [was.throughput, input.throughput];
      notes.push(
        `In process, ${input.kind}: clean + rules ${integer.format(then.rulesTweetsPerSecond)} → ${integer.format(now.rulesTweetsPerSecond)} tweets/s (${change(then.rulesTweetsPerSecond, now.rulesTweetsPerSecond)}); clean + rules + model ${integer.format(then.modelTweetsPerSecond)} → ${integer.format(now.modelTweetsPerSecond)} tweets/s (${change(then.modelTweetsPerSecond, now.modelTweetsPerSecond)}).`,
      );
    }
  }
  return notes.length === 0 ? lines : [...lines, '', ...notes];
}

function inputSection(input: InputBench): string[] {
  const { throughput } = input;
  const lines = [
    `## Input: ${input.kind}`,
    '',
    `${input.description}: ${integer.format(input.rows)} rows, ${(input.bytes / 1024).toFixed(0)} KiB.`,
    '',
    '| mode | run | total | rows/s | peak memory | cache hits | unique | duplicates | errors | LLM requests |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const run of input.runs) {
    const { stats } = run;
    lines.push(
      `| ${run.mode} | ${run.run} | ${seconds(run.wallMs)} | ${integer.format(rowsPerSecond(run))} | ${megabytes(stats.peakRssBytes)} | ${hitRate(stats)} | ${integer.format(stats.unique)} | ${integer.format(stats.duplicates)} | ${integer.format(stats.errors)} | ${integer.format(stats.llm?.requests ?? 0)} |`,
    );
  }
  for (const skipped of input.skipped) lines.push(`| ${skipped.mode} | skipped | ${skipped.reason.replace(/\|/g, '\\|')} | | | | | | | |`);
  const byMode = new Map<string, MeasuredRun[]>();
  for (const run of input.runs) byMode.set(run.mode, [...(byMode.get(run.mode) ?? []), run]);
  for (const [mode, runs] of byMode) {
    const [cold, warm] = [runs.find((run) => run.run === 'cold'), runs.find((run) => run.run === 'warm')];
    if (cold !== undefined && warm !== undefined) lines.push('', `\`${mode}\`: the warm run took ${((100 * warm.wallMs) / cold.wallMs).toFixed(0)}% of the cold run's time (${(cold.wallMs / warm.wallMs).toFixed(1)}× faster).`);
  }
  lines.push('', '### Time per phase', '');
  for (const run of input.runs) lines.push(`\`${run.mode}\` · ${run.run}`, '', phaseChart(run.stats), '');
  lines.push(
    '### In process',
    '',
    `| clean + rules, one thread | clean + rules + model, one thread | clean + rules + model, ${throughput.threads ?? '-'} threads | model load | model file |`,
    '|---:|---:|---:|---:|---:|',
    `| ${integer.format(throughput.rulesTweetsPerSecond)} tweets/s | ${integer.format(throughput.modelTweetsPerSecond)} tweets/s | ${throughput.threadsTweetsPerSecond === undefined ? '-' : `${integer.format(throughput.threadsTweetsPerSecond)} tweets/s`} | ${integer.format(throughput.modelLoadMs)} ms | ${(throughput.modelBytes / 2 ** 20).toFixed(1)} MB |`,
    '',
  );
  return lines;
}

export function renderReport(result: BenchResult, previous?: BenchResult): string {
  const { machine } = result;
  const lines = [
    '# FreeMobilaChat benchmark',
    '',
    `${result.date} · classifier \`${result.classifier}\``,
    '',
    '## Machine',
    '',
    '| CPU | cores | memory | Node.js | OS |',
    '|---|---:|---:|---|---|',
    `| ${machine.cpu} | ${machine.cores} | ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB | ${machine.node} | ${machine.os} |`,
    '',
    'Each mode runs twice per input on a fresh data directory: `cold` (empty cache), then `warm` (the same input again). Times are wall time of the whole `fmc classify` process. In-process figures are tweets/s on distinct texts after a warm-up: one thread, then the worker threads of the server (one per core, batches of 1,000 rows) together.',
    '',
  ];
  for (const input of result.inputs) lines.push(...inputSection(input));
  if (previous !== undefined) lines.push(...comparison(previous, result), '');
  lines.push(`<!-- ${DATA_MARKER} ${JSON.stringify(result)} -->`, '');
  return lines.join('\n');
}

/** The figures of an earlier report, if `markdown` is one (written by `renderReport`, this version or the one-input one before it). */
export function readReportData(markdown: string): BenchResult | undefined {
  const match = new RegExp(`<!-- ${DATA_MARKER} (.*) -->`).exec(markdown);
  if (match === null) return undefined;
  try {
    const stored = JSON.parse(match[1] as string) as StoredResult;
    if ('inputs' in stored) return stored;
    const { input, runs, skipped, throughput, ...rest } = stored;
    return { ...rest, inputs: [{ kind: 'short', ...input, runs, skipped, throughput }] };
  } catch {
    return undefined;
  }
}
