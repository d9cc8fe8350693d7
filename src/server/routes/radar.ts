/**
 * The outage radar over the API: the incidents of a run, and of every run of
 * the last days (`GET /api/incidents`). After each run, the server looks at
 * the last days again when it has an alert webhook: incidents that open or
 * close are posted there and kept as `fmc_incidents_open{area, topic}`.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { LRUCache } from 'lru-cache';
import { Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { durationMs, sinceTime } from '../../config/index.js';
import { detectIncidents, IncidentWatch, postAlert, radarTweetOf, type RadarReport, type RadarTweet } from '../../radar/index.js';
import type { RunQueue, RunReader } from '../backends.js';
import type { RunEnd } from '../jobs.js';
import { ErrorBody, HttpError } from './errors.js';

export interface RadarRoutesOptions {
  runs: RunReader;
  queue: RunQueue;
  registry: Registry;
  /** Where opened and closed incidents are posted (JSON with a Slack-compatible `text`). */
  alertWebhook: string | undefined;
  /** How far back the server's radar looks (default 7 days). */
  lookbackMs?: number;
}

/** Runs looked at for the last days; older runs are out of the window anyway. */
const MAX_RUNS = 500;
const DEFAULT_LOOKBACK_MS = 7 * 86_400_000;

const RadarQuery = z.object({
  window: z
    .string()
    .default('1h')
    .refine((text) => (durationMs(text) ?? 0) >= 60_000, 'a duration of at least a minute: 30m, 1h, 2h'),
});
const Report = z.custom<RadarReport>();

export const radarRoutes: FastifyPluginAsyncZod<RadarRoutesOptions> = async (app, options) => {
  const { runs, queue } = options;
  const lookbackMs = options.lookbackMs ?? DEFAULT_LOOKBACK_MS;
  const viewer = { access: 'viewer' as const };
  const reports = new LRUCache<string, RadarReport>({ max: 32 });

  async function tweetsOfRun(id: number, since = 0, seen = new Set<string>()): Promise<RadarTweet[]> {
    const tweets: RadarTweet[] = [];
    for await (const record of runs.allRows(id)) {
      const tweet = radarTweetOf(record);
      // The same tweet in two exports counts once; an undated one counts as undated, whatever `since`.
      if (tweet === undefined || (tweet.time !== undefined && tweet.time < since) || (tweet.id !== '' && seen.has(tweet.id))) continue;
      seen.add(tweet.id);
      tweets.push(tweet);
    }
    return tweets;
  }

  /** Every tweet of the runs finished since `since`, dated since then (or undated). */
  async function recentTweets(since: number): Promise<RadarTweet[]> {
    const seen = new Set<string>();
    const tweets: RadarTweet[] = [];
    for (const run of await runs.list(MAX_RUNS)) {
      if (run.status !== 'done' || run.finishedAt === undefined || Date.parse(run.finishedAt) < since) continue;
      tweets.push(...(await tweetsOfRun(run.id, since, seen)));
    }
    return tweets;
  }

  app.get(
    '/api/runs/:id/incidents',
    { config: viewer, schema: { tags: ['radar'], summary: "the outage radar over a run: incidents by department and time, the national timeline, outage tweets per department", params: z.object({ id: z.coerce.number().int().positive() }), querystring: RadarQuery, response: { 200: Report, 404: ErrorBody, 409: ErrorBody } } },
    async (request) => {
      const run = await runs.get(request.params.id);
      if (run === undefined) throw new HttpError(404, `no run ${request.params.id}`);
      if (run.status !== 'done') throw new HttpError(409, `run ${run.id} is ${run.status}: its incidents come once it is done`);
      // A finished run does not change: its report is read once (every view of its dashboard asks for it).
      const key = `${run.id}:${run.finishedAt}:${request.query.window}`;
      let report = reports.get(key);
      if (report === undefined) reports.set(key, (report = detectIncidents(await tweetsOfRun(run.id), { windowMs: durationMs(request.query.window) })));
      return report;
    },
  );

  app.get(
    '/api/incidents',
    {
      config: viewer,
      schema: {
        tags: ['radar'],
        summary: 'the outage radar over every run finished since `since` (tweets dated since then; one tweet in several runs counts once)',
        querystring: RadarQuery.extend({ since: z.string().default('7d').describe('an age (24h, 7d) or a date (2026-12-01)') }),
        response: { 200: Report, 400: ErrorBody },
      },
    },
    async (request) => {
      const since = sinceTime(request.query.since);
      if (since === undefined) throw new HttpError(400, `since=${request.query.since}: give an age (24h, 7d) or a date (2026-12-01)`);
      return detectIncidents(await recentTweets(since), { windowMs: durationMs(request.query.window) });
    },
  );

  // Open incidents: updated after each finished run, one look at a time (runs ending together share the next look).
  const watch = new IncidentWatch();
  new Gauge({
    name: 'fmc_incidents_open',
    help: 'Outage incidents open now (the radar over the last days, kept by a server with an alert webhook), by area (department code, or FR) and topic',
    labelNames: ['area', 'topic'],
    registers: [options.registry],
    collect() {
      this.reset();
      for (const incident of watch.openIncidents) this.inc({ area: incident.area, topic: incident.topic });
    },
  });
  // Looking reads every row of the last days' runs: only a server that alerts does it.
  const webhook = options.alertWebhook;
  if (webhook === undefined) return;
  let looking: Promise<void> | undefined;
  let lookAgain = false;
  const look = async (): Promise<void> => {
    const report = detectIncidents(await recentTweets(Date.now() - lookbackMs));
    for (const message of watch.update(report)) {
      app.log.info({ incident: message.incident.key, event: message.event }, message.text);
      // Not awaited: a slow or failing webhook never holds a run or the next look.
      void postAlert(message, { url: webhook, onFailure: (error) => app.log.warn({ incident: message.incident.key, event: message.event }, `alert webhook: ${error}`) });
    }
  };
  const onEnd = (end: RunEnd) => {
    if (end.status !== 'done') return;
    if (looking !== undefined) {
      lookAgain = true;
      return;
    }
    looking = (async () => {
      do {
        lookAgain = false;
        await look().catch((error: unknown) => app.log.warn({ err: error }, 'the outage radar could not look at the last days'));
      } while (lookAgain);
      looking = undefined;
    })();
  };
  queue.events.on('end', onEnd);
  app.addHook('onClose', async () => {
    queue.events.off('end', onEnd);
    await looking;
  });
};
