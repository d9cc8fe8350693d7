/**
 * The benchmark report: what `fmc bench` measured, as markdown a person reads
 * and, in a trailing comment, as JSON the next report compares itself with.
 */
import type { Phase, RunStats } from '../pipeline/index.js';

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
  modelLoadMs: number;
  modelBytes: number;
}

export interface BenchResult {
  date: string;
  machine: Machine;
  input: { description: string; rows: number; bytes: number };
  classifier: string;
  runs: MeasuredRun[];
  skipped: SkippedMode[];
  throughput: Throughput;
}

const DATA_MARKER = 'fmc-bench-data';
const BAR_WIDTH = 30;
const integer = new Intl.NumberFormat('en-US');

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const megabytes = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MB`;
const rowsPerSecond = (run: MeasuredRun): number => Math.round(run.stats.rows / (run.wallMs / 1000));

/** Over every cached phase (rules + model, LLM). */
function hitRate(stats: RunStats): string {
  if (stats.cache === undefined) return 'off';
  const counts = Object.values(stats.cache);
  const hits = counts.reduce((sum, count) => sum + count.memory + count.disk, 0);
  const lookups = counts.reduce((sum, count) => sum + count.memory + count.disk + count.misses, 0);
  return lookups === 0 ? '-' : `${((100 * hits) / lookups).toFixed(1)}%`;
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
    '| mode | run | time before | time after | change | rows/s before | rows/s after |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const run of current.runs) {
    const before = previous.runs.find((candidate) => candidate.mode === run.mode && candidate.run === run.run);
    if (before === undefined) {
      lines.push(`| ${run.mode} | ${run.run} | - | ${seconds(run.wallMs)} | new | - | ${integer.format(rowsPerSecond(run))} |`);
    } else {
      lines.push(`| ${run.mode} | ${run.run} | ${seconds(before.wallMs)} | ${seconds(run.wallMs)} | ${change(before.wallMs, run.wallMs)} | ${integer.format(rowsPerSecond(before))} | ${integer.format(rowsPerSecond(run))} |`);
    }
  }
  const [was, now] = [previous.throughput, current.throughput];
  lines.push(
    '',
    `In process: clean + rules ${integer.format(was.rulesTweetsPerSecond)} → ${integer.format(now.rulesTweetsPerSecond)} tweets/s (${change(was.rulesTweetsPerSecond, now.rulesTweetsPerSecond)}); clean + rules + model ${integer.format(was.modelTweetsPerSecond)} → ${integer.format(now.modelTweetsPerSecond)} tweets/s (${change(was.modelTweetsPerSecond, now.modelTweetsPerSecond)}).`,
  );
  if (previous.input.rows !== current.input.rows) lines.push('', `Note: the previous report ran on ${integer.format(previous.input.rows)} rows, this one on ${integer.format(current.input.rows)}.`);
  return lines;
}

export function renderReport(result: BenchResult, previous?: BenchResult): string {
  const { machine, input, throughput } = result;
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
    '## Input',
    '',
    `${input.description}: ${integer.format(input.rows)} rows, ${(input.bytes / 1024).toFixed(0)} KiB.`,
    '',
    '## Runs',
    '',
    'Each mode runs twice on a fresh data directory: `cold` (empty cache), then `warm` (the same input again). Times are wall time of the whole `fmc classify` process.',
    '',
    '| mode | run | total | rows/s | peak memory | cache hits | unique | duplicates | errors | LLM requests |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const run of result.runs) {
    const { stats } = run;
    lines.push(
      `| ${run.mode} | ${run.run} | ${seconds(run.wallMs)} | ${integer.format(rowsPerSecond(run))} | ${megabytes(stats.peakRssBytes)} | ${hitRate(stats)} | ${integer.format(stats.unique)} | ${integer.format(stats.duplicates)} | ${integer.format(stats.errors)} | ${integer.format(stats.llm?.requests ?? 0)} |`,
    );
  }
  for (const skipped of result.skipped) lines.push(`| ${skipped.mode} | skipped | ${skipped.reason.replace(/\|/g, '\\|')} | | | | | | | |`);
  const byMode = new Map<string, MeasuredRun[]>();
  for (const run of result.runs) byMode.set(run.mode, [...(byMode.get(run.mode) ?? []), run]);
  for (const [mode, runs] of byMode) {
    const [cold, warm] = [runs.find((run) => run.run === 'cold'), runs.find((run) => run.run === 'warm')];
    if (cold !== undefined && warm !== undefined) lines.push('', `\`${mode}\`: the warm run took ${((100 * warm.wallMs) / cold.wallMs).toFixed(0)}% of the cold run's time (${(cold.wallMs / warm.wallMs).toFixed(1)}× faster).`);
  }
  lines.push('', '### Time per phase', '');
  for (const run of result.runs) lines.push(`\`${run.mode}\` · ${run.run}`, '', phaseChart(run.stats), '');
  lines.push(
    '## In process, one core',
    '',
    '| clean + rules | clean + rules + model | model load | model file |',
    '|---:|---:|---:|---:|',
    `| ${integer.format(throughput.rulesTweetsPerSecond)} tweets/s | ${integer.format(throughput.modelTweetsPerSecond)} tweets/s | ${integer.format(throughput.modelLoadMs)} ms | ${(throughput.modelBytes / 2 ** 20).toFixed(1)} MB |`,
    '',
  );
  if (previous !== undefined) lines.push(...comparison(previous, result), '');
  lines.push(`<!-- ${DATA_MARKER} ${JSON.stringify(result)} -->`, '');
  return lines.join('\n');
}

/** The figures of an earlier report, if `markdown` is one (written by `renderReport`). */
export function readReportData(markdown: string): BenchResult | undefined {
  const match = new RegExp(`<!-- ${DATA_MARKER} (.*) -->`).exec(markdown);
  if (match === null) return undefined;
  try {
    return JSON.parse(match[1] as string) as BenchResult;
  } catch {
    return undefined;
  }
}
