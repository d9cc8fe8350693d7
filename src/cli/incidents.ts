/** `fmc incidents FILE`: the outage radar over an export (classified here, in fast mode), as text or JSON. */
import { z } from 'zod';
import { durationMs } from '../config/index.js';
import { openInput } from '../ingest/index.js';
import { toOutputRecord } from '../output/index.js';
import { createPipeline } from '../pipeline/index.js';
import { detectIncidents, radarTweetOf, type RadarReport, type RadarTweet } from '../radar/index.js';
import { DATE_FIELDS } from '../store/index.js';
import { UsageError } from './errors.js';

const IncidentsOptions = z.object({
  window: z.string().default('1h'),
  alpha: z.coerce.number().gt(0).lt(1).optional(),
  minCount: z.coerce.number().int().min(1).optional(),
  json: z.boolean().default(false),
  textColumn: z.string().min(1).optional(),
  idColumn: z.string().min(1).optional(),
  encoding: z.string().min(1).optional(),
});

const DATE_COLUMNS = `${DATE_FIELDS.slice(0, -1).join(', ')} or ${DATE_FIELDS.at(-1)}`;

function formatReport(report: RadarReport): string {
  const lines = [
    `${report.tweets.toLocaleString('en')} tweets, ${report.outageTweets.toLocaleString('en')} outage tweets from ${report.from?.slice(0, 16)} to ${report.to?.slice(0, 16)} UTC, windows of ${report.windowMs / 60_000} min` +
      (report.undated > 0 ? `; ${report.undated.toLocaleString('en')} tweets without a date left out` : ''),
  ];
  if (report.incidents.length === 0) lines.push('no incident: no place and time had improbably many outage tweets');
  for (const incident of report.incidents) {
    const where = incident.area === 'FR' ? 'France (no single department)' : `${incident.areaName} (${incident.area})`;
    lines.push(
      '',
      `${incident.severity.toUpperCase()}  ${where}${incident.towns.length > 0 ? ` · ${incident.towns.join(', ')}` : ''} · ${incident.topic}`,
      `  ${incident.start.slice(0, 16).replace('T', ' ')} → ${incident.end.slice(0, 16).replace('T', ' ')} UTC${incident.ongoing ? ' (ongoing)' : ''} · ${incident.tweets} outage tweets · peak ${incident.peakPerHour.toFixed(0)}/h against ${incident.expectedPerHour.toFixed(2)}/h expected (p = ${incident.pValue.toExponential(1)})`,
      ...incident.examples.map((example) => `  ${example.time.slice(11, 16)}  ${example.text.length > 110 ? `${example.text.slice(0, 107)}…` : example.text}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function incidentsCommand(inputPath: string, rawOptions: unknown): Promise<void> {
  const options = IncidentsOptions.parse(rawOptions);
  const windowMs = durationMs(options.window);
  if (windowMs === undefined || windowMs < 60_000) throw new UsageError(`--window ${options.window}: give a duration of at least a minute (30m, 1h, 2h)`);
  const input = await openInput(inputPath, { textColumn: options.textColumn, idColumn: options.idColumn, encoding: options.encoding });
  const pipeline = createPipeline({ mode: 'fast' });
  const tweets: RadarTweet[] = [];
  for await (const row of pipeline.run(input.rows)) {
    const tweet = radarTweetOf(toOutputRecord(row));
    if (tweet !== undefined) tweets.push(tweet);
  }
  const report = detectIncidents(tweets, { windowMs, alpha: options.alpha, minCount: options.minCount });
  if (report.tweets > 0 && report.undated === report.tweets) {
    throw new UsageError(`none of the ${report.tweets.toLocaleString('en')} tweets of ${input.name} has a date: the radar places outages in time, so it needs a column ${DATE_COLUMNS}`);
  }
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
}
