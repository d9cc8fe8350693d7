/**
 * The outage radar: is this one angry customer, or is Lyon down?
 *
 * Outage-like tweets (`panne_technique`, `degradation_service`,
 * `infrastructure_reseau`) are counted in sliding windows (1 h, moved by a
 * quarter) per department and nationally (every outage tweet, with a place
 * or not). Each window's count is tested against what the same data leads to
 * expect there at that hour: the series' own rate outside the window, times
 * the national hour-of-day profile. A window whose count is improbable under
 * a Poisson law (p below `alpha`, and at least `minCount` tweets) is flagged;
 * overlapping flagged windows of a series make one incident. A national
 * incident that a department's incident explains is not reported twice.
 */
import { placesIn, DEPARTEMENTS } from '../classify/places.js';
import { foldText } from '../clean/index.js';

export const OUTAGE_INCIDENTS: ReadonlySet<string> = new Set(['panne_technique', 'degradation_service', 'infrastructure_reseau']);

/** A classified tweet as the radar reads it. */
export interface RadarTweet {
  id: string;
  /** Milliseconds since 1970; undefined when the export has no date for it. */
  time: number | undefined;
  text: string;
  labels: { topics: string; incident: string; confidence: number };
}

export interface RadarOptions {
  windowMs?: number;
  /** A window is flagged below this probability under the expected count. */
  alpha?: number;
  /** A window needs at least this many outage tweets to be flagged. */
  minCount?: number;
}

export const DEFAULT_RADAR_OPTIONS: Required<RadarOptions> = { windowMs: 3_600_000, alpha: 1e-6, minCount: 5 };

export type Severity = 'faible' | 'moyenne' | 'haute' | 'critique';

export interface Incident {
  /** Stable while the incident lasts: its series and start. */
  key: string;
  /** `FR` for the national series, else the department's code. */
  area: string;
  /** The department's name, or France. */
  areaName: string;
  /** Towns its tweets name, most named first. */
  towns: string[];
  /** The topic most of its tweets are about. */
  topic: string;
  /** Its first and last outage tweets. */
  start: string;
  end: string;
  /** The last window of the data is still flagged: it may go on. */
  ongoing: boolean;
  tweets: number;
  /** The most outage tweets in one window, per hour. */
  peakPerHour: number;
  /** What was expected in that window. */
  expectedPerHour: number;
  /** The smallest window probability. */
  pValue: number;
  severity: Severity;
  examples: Array<{ id: string; time: string; text: string }>;
}

export interface RadarWindow {
  start: string;
  count: number;
  expected: number;
  flagged: boolean;
}

export interface RadarReport {
  from: string | undefined;
  to: string | undefined;
  windowMs: number;
  tweets: number;
  outageTweets: number;
  /** Tweets with no date: the radar cannot place them in time. */
  undated: number;
  /** The national series, window by window (the timeline). */
  national: RadarWindow[];
  /** Outage tweets per department code (the map). */
  departements: Record<string, number>;
  incidents: Incident[];
}

interface Outage {
  id: string;
  time: number;
  text: string;
  topic: string;
  confidence: number;
  departements: string[];
  towns: string[];
}

const HOUR_MS = 3_600_000;

/** ln(k!) by summing, cached: counts here stay small. */
const logFactorials = [0];
function logFactorial(k: number): number {
  for (let i = logFactorials.length; i <= k; i++) logFactorials[i] = (logFactorials[i - 1] as number) + Math.log(i);
  return logFactorials[k] as number;
}

/** P(X ≥ k) for X ~ Poisson(mean), summed from k up in log space (stable for tiny tails). */
export function poissonTail(k: number, mean: number): number {
  if (k <= 0) return 1;
  if (mean <= 0) return 0;
  let total = 0;
  for (let i = k; i < k + 1000; i++) {
    const term = Math.exp(-mean + i * Math.log(mean) - logFactorial(i));
    total += term;
    if (term < total * 1e-12) break;
  }
  return Math.min(1, total);
}

function severityOf(peak: number, expected: number): Severity {
  const ratio = peak / Math.max(expected, 0.1);
  if (peak >= 50 || (peak >= 20 && ratio >= 20)) return 'critique';
  if (peak >= 20 || ratio >= 10) return 'haute';
  if (peak >= 10) return 'moyenne';
  return 'faible';
}

function mostCommon(values: readonly string[], count: number): string[] {
  const tally = new Map<string, number>();
  for (const value of values) tally.set(value, (tally.get(value) ?? 0) + 1);
  return [...tally.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, count).map(([value]) => value);
}

export function detectIncidents(tweets: Iterable<RadarTweet>, options: RadarOptions = {}): RadarReport {
  const windowMs = options.windowMs ?? DEFAULT_RADAR_OPTIONS.windowMs;
  const alpha = options.alpha ?? DEFAULT_RADAR_OPTIONS.alpha;
  const minCount = options.minCount ?? DEFAULT_RADAR_OPTIONS.minCount;
  const stepMs = windowMs / 4;
  let count = 0;
  let undated = 0;
  const outages: Outage[] = [];
  for (const tweet of tweets) {
    count++;
    if (tweet.time === undefined) {
      undated++;
      continue;
    }
    if (!OUTAGE_INCIDENTS.has(tweet.labels.incident)) continue;
    const places = placesIn(foldText(tweet.text));
    outages.push({
      id: tweet.id,
      time: tweet.time,
      text: tweet.text,
      topic: tweet.labels.topics,
      confidence: tweet.labels.confidence,
      departements: [...new Set(places.map((place) => place.departement).filter((code) => code !== ''))],
      towns: places.filter((place) => place.kind === 'commune').map((place) => place.name),
    });
  }
  outages.sort((a, b) => a.time - b.time);
  const empty: RadarReport = { from: undefined, to: undefined, windowMs, tweets: count, outageTweets: 0, undated, national: [], departements: {}, incidents: [] };
  const first = outages[0];
  const last = outages.at(-1);
  if (first === undefined || last === undefined) return empty;
  const from = Math.floor(first.time / stepMs) * stepMs;
  const to = last.time + 1;
  const spanHours = Math.max(1, (to - from) / HOUR_MS);
  const windowHours = windowMs / HOUR_MS;

  // The national hour-of-day profile (mean 1), smoothed: how much busier 9 h is than 3 h.
  const byHour = new Array<number>(24).fill(1);
  for (const outage of outages) {
    const hour = new Date(outage.time).getUTCHours();
    byHour[hour] = (byHour[hour] as number) + 1;
  }
  const meanByHour = byHour.reduce((sum, n) => sum + n, 0) / 24;
  const profile = byHour.map((n) => n / meanByHour);

  const series = new Map<string, Outage[]>([['FR', outages]]);
  for (const outage of outages) {
    for (const code of outage.departements) {
      const items = series.get(code);
      if (items === undefined) series.set(code, [outage]);
      else items.push(outage);
    }
  }

  const departements: Record<string, number> = {};
  for (const [area, items] of series) if (area !== 'FR') departements[area] = items.length;

  const national: RadarWindow[] = [];
  const incidents: Incident[] = [];
  for (const [area, items] of series) {
    let flagged: Array<{ start: number; end: number; count: number; expected: number; p: number }> = [];
    const close = () => {
      if (flagged.length === 0) return;
      const start = (flagged[0] as (typeof flagged)[number]).start;
      const end = (flagged.at(-1) as (typeof flagged)[number]).end;
      const inside = items.filter((item) => item.time >= start && item.time < end);
      const peak = flagged.reduce((best, window) => (window.count > best.count ? window : best));
      // The most confident, one per text (a burst repeats itself).
      const texts = new Set<string>();
      const examples = [...inside].sort((a, b) => b.confidence - a.confidence).filter((item) => !texts.has(item.text) && texts.add(item.text));
      incidents.push({
        key: `${area}:${new Date(start).toISOString()}`,
        area,
        areaName: area === 'FR' ? 'France' : (DEPARTEMENTS[area] ?? area),
        towns: mostCommon(inside.flatMap((item) => item.towns), 3),
        topic: mostCommon(inside.map((item) => item.topic), 1)[0] ?? 'autre',
        start: new Date(inside[0]?.time ?? start).toISOString(),
        end: new Date(inside.at(-1)?.time ?? Math.min(end, to)).toISOString(),
        ongoing: end >= to,
        tweets: inside.length,
        peakPerHour: peak.count / windowHours,
        expectedPerHour: peak.expected / windowHours,
        pValue: Math.min(...flagged.map((window) => window.p)),
        severity: severityOf(peak.count, peak.expected),
        examples: examples.slice(0, 3).map((item) => ({ id: item.id, time: new Date(item.time).toISOString(), text: item.text })),
      });
      flagged = [];
    };
    let lo = 0;
    let hi = 0;
    for (let start = from; start < to; start += stepMs) {
      const end = start + windowMs;
      while (lo < items.length && (items[lo] as Outage).time < start) lo++;
      while (hi < items.length && (items[hi] as Outage).time < end) hi++;
      const inWindow = hi - lo;
      // The series' rate outside this window (so a burst does not raise its own baseline), at least half a tweet over the span.
      const rate = Math.max(items.length - inWindow, 0.5) / Math.max(spanHours - windowHours, 1);
      // The hour-of-day profile over the window, quarter by quarter (a window straddling 22 h is part busy, part quiet).
      let shape = 0;
      for (let quarter = start; quarter < end; quarter += stepMs) shape += (profile[new Date(quarter).getUTCHours()] as number) / 4;
      const expected = rate * windowHours * shape;
      const p = poissonTail(inWindow, expected);
      const isFlagged = inWindow >= minCount && p < alpha;
      if (area === 'FR') national.push({ start: new Date(start).toISOString(), count: inWindow, expected, flagged: isFlagged });
      const previous = flagged.at(-1);
      if (isFlagged) {
        if (previous !== undefined && start > previous.end) close();
        flagged.push({ start, end, count: inWindow, expected, p });
      } else if (previous !== undefined && start >= previous.end) close();
    }
    close();
  }
  // A national incident made of a department's burst is that department's incident.
  const local = incidents.filter((incident) => incident.area !== 'FR');
  const reported = incidents.filter((incident) => incident.area !== 'FR' || !local.some((other) => other.start < incident.end && incident.start < other.end));
  reported.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.area < b.area ? -1 : 1));
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), windowMs, tweets: count, outageTweets: outages.length, undated, national, departements, incidents: reported };
}
