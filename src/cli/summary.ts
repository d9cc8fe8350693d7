/** The end-of-run summary printed on stderr. */
import { LABEL_NAMES } from '../labels.js';
import type { CachedPhase, RunStats } from '../pipeline/index.js';

const integer = new Intl.NumberFormat('en-US');

function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(1)}%`;
}

const CACHED_PHASE_NAMES: Record<CachedPhase, string> = { classify: 'rules + model', llm: 'LLM' };

function llmLines(llm: NonNullable<RunStats['llm']>): string[] {
  const kept = Object.values(llm.fallbacks).reduce((sum, count) => sum + count, 0);
  const lines = [
    `  LLM (${llm.model}): ${integer.format(llm.sampled)} tweets sampled · ${integer.format(llm.answered)} answered · ${integer.format(llm.requests)} requests (${integer.format(llm.failedRequests)} failed, ${integer.format(llm.retries)} retried) · tokens ${integer.format(llm.tokensIn)} in / ${integer.format(llm.tokensOut)} out · ${(llm.ms / 1000).toFixed(1)} s`,
  ];
  if (kept > 0) {
    const reasons = Object.entries(llm.fallbacks).map(([reason, count]) => `${reason} (${integer.format(count)})`).join('; ');
    lines.push(`  LLM fallbacks: ${integer.format(kept)} tweets kept their local labels: ${reasons}`);
  }
  if (llm.unexpectedItems > 0) lines.push(`  LLM answers named ${integer.format(llm.unexpectedItems)} tweets that were not asked about (ignored)`);
  if (llm.breakerOpened !== undefined) lines.push(`  LLM calls stopped: ${llm.breakerOpened}`);
  return lines;
}

export function formatSummary(stats: RunStats, unprintedProblems: number, recordedAs: string): string {
  const seconds = stats.totalMs / 1000;
  const rate = seconds > 0 ? Math.round(stats.rows / seconds) : stats.rows;
  const lines = [
    `${integer.format(stats.rows)} rows in ${seconds.toFixed(2)} s (${integer.format(rate)} rows/s), peak memory ${Math.round(stats.peakRssBytes / 2 ** 20)} MB`,
    `  unique ${integer.format(stats.unique)} · duplicates ${integer.format(stats.duplicates)} · errors ${integer.format(stats.errors)} · mean confidence ${stats.meanConfidence.toFixed(2)}`,
    `  phases: ${Object.entries(stats.phaseMs)
      .filter(([phase]) => phase !== 'llm' || stats.llm !== undefined)
      .map(([phase, ms]) => `${phase} ${Math.round(ms)} ms`)
      .join(' · ')}`,
  ];
  if (stats.cache === undefined) lines.push('  cache: not used (--no-cache)');
  for (const [phase, counts] of Object.entries(stats.cache ?? {})) {
    const lookups = counts.memory + counts.disk + counts.misses;
    lines.push(`  cache (${CACHED_PHASE_NAMES[phase as CachedPhase]}): ${percent(counts.memory + counts.disk, lookups)} hits · memory ${integer.format(counts.memory)} · disk ${integer.format(counts.disk)} · misses ${integer.format(counts.misses)}`);
  }
  if (stats.llm !== undefined) lines.push(...llmLines(stats.llm));
  for (const label of LABEL_NAMES) {
    const counts = Object.entries(stats.distributions[label]).sort((a, b) => b[1] - a[1]);
    lines.push(`  ${label.padEnd(9)} ${counts.map(([value, count]) => `${value} ${percent(count, stats.rows)}`).join(' · ')}`);
  }
  if (unprintedProblems > 0) lines.push(`  … and ${integer.format(unprintedProblems)} more input warnings not shown`);
  lines.push(`  ${recordedAs}`);
  return `${lines.join('\n')}\n`;
}
