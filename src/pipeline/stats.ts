/** What a run measured: counts, label distributions and time per phase. */
import { LABEL_NAMES, LABEL_VALUES, type LabelName, type Labels } from '../labels.js';
import type { LlmStats } from '../llm/phase.js';

export type Phase = 'read_clean' | 'classify' | 'llm' | 'write';
export type CachedPhase = 'classify' | 'llm';

/** Where the labels of the distinct tweets of a phase came from. */
export interface CacheCounts {
  memory: number;
  disk: number;
  misses: number;
}

export type Distributions = { [L in LabelName]: Record<string, number> };

export interface RunStats {
  rows: number;
  /** Distinct cleaned texts, each classified once. */
  unique: number;
  duplicates: number;
  /** Rows that came out with an `error` and cautious labels. */
  errors: number;
  distributions: Distributions;
  meanConfidence: number;
  phaseMs: Record<Phase, number>;
  /** Per phase; absent when the run did not use the cache. */
  cache?: Partial<Record<CachedPhase, CacheCounts>>;
  /** The LLM phase of `balanced` and `precise`: tweets sampled, then what the client did. */
  llm?: LlmStats & { sampled: number; model: string };
  totalMs: number;
  peakRssBytes: number;
}

/** Share of the distinct tweets whose labels came from the cache, over every cached phase; undefined without lookups. */
export function cacheHitRate(stats: RunStats): number | undefined {
  const counts = Object.values(stats.cache ?? {});
  const hits = counts.reduce((sum, count) => sum + count.memory + count.disk, 0);
  const lookups = counts.reduce((sum, count) => sum + count.memory + count.disk + count.misses, 0);
  return lookups === 0 ? undefined : hits / lookups;
}

export class StatsRecorder {
  private readonly started = performance.now();
  private confidenceSum = 0;
  readonly stats: RunStats = {
    rows: 0,
    unique: 0,
    duplicates: 0,
    errors: 0,
    distributions: Object.fromEntries(
      LABEL_NAMES.map((label) => [label, Object.fromEntries(LABEL_VALUES[label].map((value) => [value, 0]))]),
    ) as Distributions,
    meanConfidence: 0,
    phaseMs: { read_clean: 0, classify: 0, llm: 0, write: 0 },
    totalMs: 0,
    peakRssBytes: 0,
  };

  count(labels: Labels, kind: 'unique' | 'duplicate' | 'error'): void {
    const { stats } = this;
    stats.rows++;
    if (kind === 'unique') stats.unique++;
    else if (kind === 'duplicate') stats.duplicates++;
    else stats.errors++;
    for (const label of LABEL_NAMES) {
      const counts = stats.distributions[label];
      counts[labels[label]] = (counts[labels[label]] ?? 0) + 1;
    }
    this.confidenceSum += labels.confidence;
  }

  cacheLookup(phase: CachedPhase, level: keyof CacheCounts): void {
    const counts = ((this.stats.cache ??= {})[phase] ??= { memory: 0, disk: 0, misses: 0 });
    counts[level]++;
  }

  llm(sampled: number, stats: LlmStats, model: string): void {
    this.stats.llm = { ...stats, fallbacks: { ...stats.fallbacks }, sampled, model };
  }

  time(phase: Phase, ms: number): void {
    this.stats.phaseMs[phase] += ms;
  }

  sampleMemory(): void {
    // maxRSS is the process's true peak (KiB); the sample covers platforms that lack it.
    const peak = Math.max(process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
    this.stats.peakRssBytes = Math.max(this.stats.peakRssBytes, peak);
  }

  finish(): RunStats {
    const { stats } = this;
    this.sampleMemory();
    stats.totalMs = performance.now() - this.started;
    stats.meanConfidence = stats.rows === 0 ? 0 : this.confidenceSum / stats.rows;
    // Reading and cleaning interleave in one stream: they get the time the other phases did not take.
    stats.phaseMs.read_clean = Math.max(0, stats.totalMs - stats.phaseMs.classify - stats.phaseMs.llm - stats.phaseMs.write);
    return stats;
  }
}
