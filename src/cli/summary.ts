/** The end-of-run summary printed on stderr. */
import { LABEL_NAMES } from '../labels.js';
import type { RunStats } from '../pipeline/index.js';

const integer = new Intl.NumberFormat('en-US');

function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(1)}%`;
}

export function formatSummary(stats: RunStats, unprintedProblems: number, recordedAs: string): string {
  const seconds = stats.totalMs / 1000;
  const rate = seconds > 0 ? Math.round(stats.rows / seconds) : stats.rows;
  const lines = [
    `${integer.format(stats.rows)} rows in ${seconds.toFixed(2)} s (${integer.format(rate)} rows/s), peak memory ${Math.round(stats.peakRssBytes / 2 ** 20)} MB`,
    `  unique ${integer.format(stats.unique)} · duplicates ${integer.format(stats.duplicates)} · errors ${integer.format(stats.errors)} · mean confidence ${stats.meanConfidence.toFixed(2)}`,
    `  phases: ${Object.entries(stats.phaseMs).map(([phase, ms]) => `${phase} ${Math.round(ms)} ms`).join(' · ')}`,
  ];
  const cache = stats.cache?.classify;
  if (cache !== undefined) {
    const lookups = cache.memory + cache.disk + cache.misses;
    lines.push(`  cache (rules + model): ${percent(cache.memory + cache.disk, lookups)} hits · memory ${integer.format(cache.memory)} · disk ${integer.format(cache.disk)} · misses ${integer.format(cache.misses)}`);
  } else {
    lines.push('  cache: not used (--no-cache)');
  }
  for (const label of LABEL_NAMES) {
    const counts = Object.entries(stats.distributions[label]).sort((a, b) => b[1] - a[1]);
    lines.push(`  ${label.padEnd(9)} ${counts.map(([value, count]) => `${value} ${percent(count, stats.rows)}`).join(' · ')}`);
  }
  if (unprintedProblems > 0) lines.push(`  … and ${integer.format(unprintedProblems)} more input warnings not shown`);
  lines.push(`  ${recordedAs}`);
  return `${lines.join('\n')}\n`;
}
