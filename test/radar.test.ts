/**
 * The outage radar on simulated weeks (a daily rhythm, places drawn by
 * population) with and without an injected burst: through the detector, the
 * CLI, the API, the alert webhook and the metric.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectIncidents, poissonTail, postAlert, type AlertMessage } from '../src/radar/index.js';
import { simulateBackground, simulateBurst } from '../src/radar/simulate.js';
import { fmc, radarCsv, tempDir, writeTemp } from './helpers.js';
import { finished, server, upload } from './http.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK_START = Date.UTC(2026, 10, 2);
const BURST_START = WEEK_START + 4 * DAY + 9 * HOUR;

test('a burst of 40 outage tweets naming Lyon in 90 minutes is found with its place, topic and window; the background alone raises nothing', () => {
  const burst = simulateBurst('Lyon', BURST_START, 90 * 60_000, 40);
  const report = detectIncidents([...simulateBackground({ start: WEEK_START, days: 7, tweetsPerDay: 400, seed: 3 }), ...burst]);
  assert.equal(report.incidents.length, 1, JSON.stringify(report.incidents, null, 1));
  const [incident] = report.incidents;
  assert.ok(incident !== undefined);
  assert.deepEqual([incident.area, incident.areaName, incident.towns, incident.topic, incident.ongoing], ['69', 'Rhône', ['Lyon'], 'fibre', false]);
  // Its tweets are the burst's (and the odd background tweet of the same hours).
  assert.ok(incident.tweets >= 40 && incident.tweets <= 44, `${incident.tweets} tweets`);
  assert.ok(Date.parse(incident.start) >= BURST_START - HOUR && Date.parse(incident.start) <= BURST_START + 15 * 60_000, incident.start);
  assert.ok(Date.parse(incident.end) >= BURST_START + 80 * 60_000 && Date.parse(incident.end) <= BURST_START + 150 * 60_000, incident.end);
  assert.ok(incident.peakPerHour >= 25 && incident.expectedPerHour < 2);
  assert.equal(incident.severity, 'critique');
  assert.equal(incident.examples.length, 3);
  // The timeline flags the burst's windows; the map counts Rhône's outage tweets.
  assert.ok(report.national.some((window) => window.flagged && Date.parse(window.start) >= BURST_START - HOUR && Date.parse(window.start) <= BURST_START + 90 * 60_000));
  assert.ok((report.departements['69'] ?? 0) >= 40);

  for (const seed of [3, 11, 27]) {
    for (const tweetsPerDay of [400, 4000]) {
      const quiet = detectIncidents(simulateBackground({ start: WEEK_START, days: 7, tweetsPerDay, seed }));
      assert.deepEqual(quiet.incidents, [], `background alone, seed ${seed}, ${tweetsPerDay} a day`);
      assert.ok(quiet.outageTweets > 0.3 * 7 * tweetsPerDay);
    }
  }
  // A smaller burst in a big city's usual noise is not an incident, a handful of tweets never is.
  assert.deepEqual(detectIncidents([...simulateBackground({ start: WEEK_START, days: 7, tweetsPerDay: 400, seed: 3 }), ...simulateBurst('Lyon', BURST_START, HOUR, 4)]).incidents, []);
});

test('Poisson tails', () => {
  assert.equal(poissonTail(0, 3), 1);
  assert.ok(Math.abs(poissonTail(5, 1) - 0.00366) < 1e-5);
  assert.ok(Math.abs(poissonTail(1, 2) - (1 - Math.exp(-2))) < 1e-12);
  assert.ok(poissonTail(40, 0.5) > 0 && poissonTail(40, 0.5) < 1e-50);
});

test('fmc incidents: the burst of an export as text and JSON; an export without dates is a clear error', () => {
  const path = writeTemp('week.csv', radarCsv([...simulateBackground({ start: WEEK_START, days: 7, tweetsPerDay: 300, seed: 5 }), ...simulateBurst('Lyon', BURST_START, 90 * 60_000, 40)]));
  const text = fmc(['incidents', path]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^CRITIQUE {2}Rhône \(69\) · Lyon · \w+$/m);
  assert.match(text.stdout, /2026-11-06 0[89]:\d\d → 2026-11-06 1[01]:\d\d UTC · 4\d outage tweets · peak \d+\/h against [\d.]+\/h expected/);
  const json = fmc(['incidents', path, '--json', '--window', '30m']);
  const report = JSON.parse(json.stdout);
  assert.equal(report.windowMs, 30 * 60_000);
  assert.deepEqual(report.incidents.map((incident: { area: string }) => incident.area), ['69']);

  const undated = fmc(['incidents', writeTemp('undated.csv', 'id,text\n1,panne à Lyon\n2,plus de fibre à Brest\n')]);
  assert.equal(undated.code, 2);
  assert.match(undated.stderr, /none of the 2 tweets .* has a date: .* needs a column date, created_at/);
  assert.equal(fmc(['incidents', path, '--window', 'soon']).code, 2);
});

interface Hook {
  url: string;
  received: AlertMessage[];
  requests: () => number;
  close: () => Promise<void>;
}

/** A local webhook: records the messages it is sent; answers `status` (or fails the first `failFirst` requests). */
async function startHook(status = 200, failFirst = 0): Promise<Hook> {
  const received: AlertMessage[] = [];
  let requests = 0;
  const hook = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      requests++;
      const answer = requests <= failFirst ? 503 : status;
      if (answer < 300) received.push(JSON.parse(body) as AlertMessage);
      response.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, received, requests: () => requests, close: () => new Promise((resolve) => hook.close(() => resolve())) };
}

test('the server: incidents of a run and of the last days over the API; the webhook hears an incident open and close once each; fmc_incidents_open follows', async (t) => {
  const hook = await startHook(200, 1);
  const app = await server({ alertWebhook: hook.url, dataDir: tempDir() });
  t.after(async () => {
    await app.close();
    await hook.close();
  });
  // A week up to now, with a burst in its last hour: ongoing.
  const now = Date.now();
  const weekStart = now - 7 * DAY + HOUR;
  const background = simulateBackground({ start: weekStart, days: 7, tweetsPerDay: 300, seed: 8 }).filter((tweet) => (tweet.time ?? 0) < now - 2 * HOUR);
  const burst = simulateBurst('Lyon', now - 50 * 60_000, 45 * 60_000, 40);
  const first = (await upload(app, 'week.csv', radarCsv([...background, ...burst]))).json().id as number;
  assert.equal((await finished(app, first)).status, 'done');

  const ofRun = (await app.inject(`/api/runs/${first}/incidents`)).json();
  assert.deepEqual(ofRun.incidents.map((incident: { area: string; ongoing: boolean }) => [incident.area, incident.ongoing]), [['69', true]]);
  const recent = (await app.inject('/api/incidents?since=8d')).json();
  assert.deepEqual(recent.incidents.map((incident: { area: string }) => incident.area), ['69']);
  assert.equal((await app.inject('/api/incidents?since=yesterdayish')).statusCode, 400);
  assert.equal((await app.inject('/api/runs/999/incidents')).statusCode, 404);

  const waitFor = async (count: number) => {
    for (let waited = 0; hook.received.length < count && waited < 15_000; waited += 50) await sleep(50);
  };
  await waitFor(1);
  assert.deepEqual(hook.received.map((message) => message.event), ['incident.opened']);
  assert.match(hook.received[0]?.text ?? '', /incident opened in Rhône \(69\) — Lyon · \w+ · 4\d outage tweets/);
  assert.equal(hook.requests(), 2, 'the first attempt failed (503) and was retried');
  assert.match((await app.inject('/metrics')).body, /^fmc_incidents_open\{area="69",topic="\w+"\} 1$/m);

  // Three quiet hours later, the burst is over: closed, once.
  const after = simulateBackground({ start: now, days: 1, tweetsPerDay: 300, seed: 9 })
    .filter((tweet) => (tweet.time ?? 0) < now + 3 * HOUR)
    .map((tweet) => ({ ...tweet, id: `later-${tweet.id}` }));
  const second = (await upload(app, 'later.csv', radarCsv(after))).json().id as number;
  assert.equal((await finished(app, second)).status, 'done');
  await waitFor(2);
  await sleep(300);
  assert.deepEqual(hook.received.map((message) => message.event), ['incident.opened', 'incident.closed']);
  assert.equal(hook.received[1]?.incident.key, hook.received[0]?.incident.key);
  assert.doesNotMatch((await app.inject('/metrics')).body, /^fmc_incidents_open\{/m);
});

test('a webhook that keeps failing is retried, then given up and reported; it never holds a run', async (t) => {
  const hook = await startHook(500);
  t.after(() => hook.close());
  const failures: string[] = [];
  const message: AlertMessage = { event: 'incident.opened', text: 'test', incident: detectIncidents(simulateBurst('Brest', WEEK_START, HOUR, 30)).incidents[0] as AlertMessage['incident'] };
  assert.equal(await postAlert(message, { url: hook.url, attempts: 3, backoffMs: 10, onFailure: (error) => failures.push(error) }), false);
  assert.equal(hook.requests(), 3);
  assert.deepEqual(failures, ['3 attempts failed (last: HTTP 500)']);

  // A server whose webhook does not answer at all still finishes its runs at once.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const app = await server({ alertWebhook: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, dataDir: tempDir() });
  t.after(async () => {
    await app.close();
    silent.closeAllConnections();
    silent.close();
  });
  const started = Date.now();
  const burst = simulateBurst('Brest', Date.now() - HOUR, HOUR, 30);
  const id = (await upload(app, 'burst.csv', radarCsv(burst))).json().id as number;
  assert.equal((await finished(app, id)).status, 'done');
  const second = (await upload(app, 'again.csv', radarCsv(burst.map((tweet) => ({ ...tweet, id: `again-${tweet.id}` }))))).json().id as number;
  assert.equal((await finished(app, second)).status, 'done');
  assert.ok(Date.now() - started < 10_000, 'runs finish while the webhook hangs');
});
