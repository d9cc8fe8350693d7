/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The web app in Debian's Chromium (driven by playwright-core): upload, live
 * progress to 100%, cards and charts with the right counts, table filters,
 * an export downloaded and read back. FMC_SCREENSHOT=1 also refreshes
 * docs/dashboard.png.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { chromium } from 'playwright-core';
import { AccountStore } from '../src/auth/index.js';
import { loadConfig } from '../src/config/index.js';
import { openInput } from '../src/ingest/index.js';
import { createPipeline } from '../src/pipeline/index.js';
import { buildServer } from '../src/server/index.js';
import { sqliteSql } from '../src/store/sql.js';
import { openDatabase } from '../src/store/index.js';
import { simulateBackground, simulateBurst } from '../src/radar/simulate.js';
import { manyTweets, radarCsv, tempDir } from './helpers.js';
import { finished, upload } from './http.js';

const CHROMIUM = '/usr/bin/chromium';

/** The demo export up-sampled to `rows` distinct tweets: big enough for progress to be seen. */
function bigDemo(rows: number): string {
  const demo = parse(readFileSync('examples/demo_tweets.csv'), { columns: true }) as Record<string, string>[];
  const records = Array.from({ length: rows }, (_, i) => {
    const row = demo[i % demo.length] as Record<string, string>;
    return { ...row, id: String(i + 1), text: i < demo.length ? row.text : `${row.text} (copie ${Math.floor(i / demo.length)})` };
  });
  const path = join(tempDir(), 'export_tweets.csv');
  writeFileSync(path, stringify(records, { header: true }));
  return path;
}

async function expectedCounts(path: string) {
  const pipeline = createPipeline({ mode: 'fast' });
  const counts = { rows: 0, claims: 0, negative: 0, urgent: 0, duplicates: 0 };
  for await (const row of pipeline.run((await openInput(path)).rows)) {
    counts.rows++;
    if (row.labels.is_claim === 'oui') counts.claims++;
    if (row.labels.sentiment === 'negatif') counts.negative++;
    if (row.labels.urgence === 'haute' || row.labels.urgence === 'critique') counts.urgent++;
    if (row.duplicateOf !== '') counts.duplicates++;
  }
  return counts;
}

const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** An open server on a fresh data directory, listening, and Chromium; both closed after the test. */
async function openServerAndBrowser(t: TestContext) {
  const dataDir = tempDir();
  const app = await buildServer({ db: openDatabase(dataDir, () => undefined), dataDir, config: loadConfig({ env: {} }) });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  t.after(async () => {
    await browser.close();
    await app.close();
  });
  return { app, address, browser };
}

const frenchPercent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1).replace('.', ',')} %`;

test('upload, live progress, dashboard, filters and export in the browser', async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  assert.ok(existsSync('dist/web/index.html'), 'the web app is not built: npm run build');
  const dataDir = tempDir();
  const db = openDatabase(dataDir, () => undefined);
  // A server with accounts: the page signs in, and its stream, uploads and downloads go under the session cookie.
  await new AccountStore(sqliteSql(db)).addUser('agent', 'analyst', 'mot de passe de test');
  const app = await buildServer({ db, dataDir, config: loadConfig({ env: {} }) });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  t.after(async () => {
    await browser.close();
    await app.close();
  });
  const input = bigDemo(60_000);
  const expected = await expectedCounts(input);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 }, acceptDownloads: true });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The page works under the server's Content-Security-Policy: the browser reports no violation.
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });

  await page.goto(address);
  await page.fill('[data-testid=sign-in-name]', 'agent');
  await page.fill('[data-testid=sign-in-password]', 'pas le bon');
  await page.click('[data-testid=sign-in-submit]');
  assert.equal(await page.textContent('[data-testid=sign-in-error]'), 'Nom ou mot de passe incorrect.');
  await page.fill('[data-testid=sign-in-password]', 'mot de passe de test');
  await page.click('[data-testid=sign-in-submit]');
  await page.waitForSelector('[data-testid=file-input]', { state: 'attached' });
  assert.match((await page.textContent('[data-testid=account]')) ?? '', /agent \(analyst\)/);
  await page.setInputFiles('[data-testid=file-input]', input);
  // Columns are read from the file in the browser, the text column chosen from them.
  await page.waitForFunction(() => (document.querySelector('[data-testid=text-column]') as HTMLSelectElement | null)?.value === 'text', undefined, { timeout: 5000 });
  assert.deepEqual(await page.locator('[data-testid=text-column] option').allTextContents(), ['détection automatique', 'id', 'author', 'date', 'text']);
  // Every percentage the progress bars show is recorded, however fast they change.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    new MutationObserver(() => {
      for (const element of document.querySelectorAll('[data-testid^=phase-]')) seen.push(`${element.getAttribute('data-testid')}=${element.textContent}`);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.click('[data-testid=start]');
  await page.waitForSelector('[data-testid=progress]', { timeout: 10_000 });
  await page.waitForSelector('[data-testid=kpi-tweets]', { timeout: 60_000 });
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  assert.ok(seen.includes('phase-classify=100 %'), seen.join(' '));
  assert.ok(seen.some((value) => /^phase-classify=([1-9]\d?) %$/.test(value)), `an intermediate value: ${[...new Set(seen)].join(' ')}`);

  const card = (id: string) => page.textContent(`[data-testid=kpi-${id}] .value`);
  assert.equal(await card('tweets'), expected.rows.toLocaleString('fr-FR'));
  assert.equal(await card('claims'), frenchPercent(expected.claims, expected.rows));
  assert.equal(await card('negative'), frenchPercent(expected.negative, expected.rows));
  assert.equal(await card('urgent'), frenchPercent(expected.urgent, expected.rows));
  assert.equal(await card('duplicates'), expected.duplicates.toLocaleString('fr-FR'));
  for (const chart of ['sentiment', 'topics', 'urgence', 'incident', 'topic-sentiment', 'per-day', 'per-hour', 'phases']) {
    const size = await page.locator(`[data-testid=chart-${chart}] canvas`).boundingBox();
    assert.ok(size !== null && size.width > 100 && size.height > 100, `chart ${chart} is drawn`);
  }

  await page.selectOption('[data-testid=filter-sentiment]', 'negatif');
  await page.waitForFunction((count) => document.querySelector('[data-testid=table-count]')?.textContent === `${count} tweets`, expected.negative.toLocaleString('fr-FR'));
  const sentiments = await page.locator('[data-testid=tweet-row] td:nth-child(3)').allTextContents();
  assert.equal(sentiments.length, 25);
  assert.ok(sentiments.every((value) => value === 'negatif'));
  await page.locator('[data-testid=tweet-row]').first().click();
  assert.match((await page.textContent('[data-testid=tweet-detail]')) ?? '', /Texte brut.*Texte nettoyé.*Sentiment\s*Négatif.*Confiance.*Source des étiquettesRègles \+ modèle/s);
  // On demand, why the model labels it so: per label, the value against the runner-up and the features that pushed it.
  await page.click('[data-testid=explain]');
  await page.waitForSelector('[data-testid=explanation]');
  assert.match((await page.textContent('[data-testid=why-sentiment]')) ?? '', /^Sentiment : Négatif plutôt que \S+ — .*[+−]\d\.\d\d/);
  assert.equal(await page.locator('[data-testid=explanation] li').count(), 5);
  // The words that weigh most are marked in the text.
  const marked = await page.locator('[data-testid=why-text] mark').allTextContents();
  const features = await page.textContent('[data-testid=explanation] ul');
  assert.ok(marked.length > 0, 'some words are marked');
  for (const word of marked) assert.ok((features ?? '').toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').includes(word.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9€']/g, '')), `${word} is a feature shown`);

  // The analyst corrects the topic with the keyboard: the row becomes a human correction, in the detail and the table.
  const topicBefore = await page.inputValue('[data-testid=correct-topics]');
  await page.focus('[data-testid=correct-topics]');
  await page.keyboard.press(topicBefore === 'autre' ? 'ArrowUp' : 'ArrowDown');
  await page.waitForFunction(() => /Source des étiquettes\s*Correction humaine/.test(document.querySelector('[data-testid=tweet-detail]')?.textContent ?? ''));
  assert.notEqual(await page.inputValue('[data-testid=correct-topics]'), topicBefore);
  await page.selectOption('[data-testid=filter-label_source]', 'human');
  await page.waitForFunction(() => document.querySelector('[data-testid=table-count]')?.textContent === '1 tweets');
  await page.selectOption('[data-testid=filter-label_source]', '');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv]')]);
  const exported = parse(readFileSync((await download.path()) as string), { columns: true, bom: true }) as Record<string, string>[];
  assert.equal(exported.length, expected.rows);
  assert.equal(exported.filter((row) => row.sentiment === 'negatif').length, expected.negative);

  await page.click('[data-testid=tweet-detail] .close');
  await page.selectOption('[data-testid=filter-sentiment]', '');
  await page.evaluate(() => window.scrollTo(0, 0));
  const shot = await page.screenshot({ path: join(tempDir(), 'dashboard.png') });
  assert.ok(shot.length > 10_000);
  if (process.env.FMC_SCREENSHOT === '1') writeFileSync('docs/dashboard.png', shot);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(violations, []);
});

test('the outage radar panel: the timeline, the map with the department outlined, and the incident with its tweets', async (t) => {
  const { app, address, browser } = await openServerAndBrowser(t);
  const start = Date.UTC(2026, 10, 2);
  const week = [...simulateBackground({ start, days: 7, tweetsPerDay: 300, seed: 4 }), ...simulateBurst('Lyon', start + 4 * 86_400_000 + 9 * 3_600_000, 90 * 60_000, 40)];
  const id = (await upload(app, 'week.csv', radarCsv(week))).json().id as number;
  assert.equal((await finished(app, id)).status, 'done');

  const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  await page.goto(`${address}/#/runs/${id}`);
  await page.waitForSelector('[data-testid=incident-item]', { timeout: 20_000 });
  const items = await page.locator('[data-testid=incident-item]').allTextContents();
  assert.equal(items.length, 1);
  assert.match(items[0] ?? '', /^Rhône \(69\) · Lyon · .* · gravité critique.*du 06\/11 0[89]:\d\d au 06\/11 1[01]:\d\d \(UTC\) · 4\d tweets.*panne fibre à Lyon/s);
  assert.match((await page.textContent('[data-testid=incidents-summary]')) ?? '', /tweets de panne · 1 incident/);
  const rhone = page.locator('[data-testid=incident-map] path[data-departement="69"]');
  assert.equal(await rhone.getAttribute('stroke'), '#000', 'the department of the incident is outlined');
  assert.notEqual(await rhone.getAttribute('fill'), '#f2f2f2');
  assert.equal(await page.locator('[data-testid=incident-map] path').count(), 96);
  const timeline = await page.locator('[data-testid=chart-radar] canvas').boundingBox();
  assert.ok(timeline !== null && timeline.width > 100 && timeline.height > 100);
  assert.deepEqual(problems, []);
});

test('the review queue with the keyboard: a label changed with one key and saved with Entrée, a tweet confirmed as it is; the models panel', async (t) => {
  const { app, address, browser } = await openServerAndBrowser(t);
  const id = (await upload(app, 'tweets.csv', manyTweets(20))).json().id as number;
  assert.equal((await finished(app, id)).status, 'done');
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));

  await page.goto(`${address}/#/runs/${id}`);
  await page.click('[data-testid=open-review]');
  await page.waitForSelector('[data-testid=review-item]');
  assert.match((await page.textContent('[data-testid=review-progress]')) ?? '', /0 revu · 20 à revoir/);
  const first = page.locator('[data-testid=review-item]').nth(0);
  assert.equal(await first.getAttribute('aria-current'), 'true');
  const queue = (await app.inject(`/api/review?run=${id}&limit=50`)).json();
  const top = queue.items[0];
  const topicBefore = String(top.tweet.topics);
  const topics = ['fibre', 'mobile', 'tv', 'facture', 'sav', 'reseau', 'autre'];
  const topicAfter = topics[(topics.indexOf(topicBefore) + 1) % topics.length] as string;

  // t: the next topic, marked as changed; Entrée: saved, counted, and the next tweet comes.
  await page.keyboard.press('t');
  assert.equal(await first.locator('[data-testid=review-topics]').getAttribute('class'), 'changed');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /1 revu · 19 à revoir/.test(document.querySelector('[data-testid=review-progress]')?.textContent ?? ''));
  assert.equal(await page.locator('[data-testid=review-item]').nth(1).getAttribute('aria-current'), 'true');
  const corrected = (await app.inject(`/api/runs/${id}/tweets/${top.position}`)).json().tweet;
  assert.deepEqual([corrected.topics, corrected.label_source, corrected.sentiment], [topicAfter, 'human', top.tweet.sentiment]);

  // j then k come back to the same tweet; Entrée with nothing changed confirms it.
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /2 revus · 18 à revoir/.test(document.querySelector('[data-testid=review-progress]')?.textContent ?? ''));
  const second = queue.items[1];
  const confirmed = (await app.inject(`/api/runs/${id}/tweets/${second.position}`)).json().tweet;
  assert.deepEqual(
    ['sentiment', 'is_claim', 'urgence', 'topics', 'incident', 'label_source'].map((label) => confirmed[label]),
    [second.tweet.sentiment, second.tweet.is_claim, second.tweet.urgence, second.tweet.topics, second.tweet.incident, 'human'],
  );

  // The models panel: the shipped model is the default; nothing to roll back, no training data to retrain from.
  await page.goto(address);
  await page.waitForSelector('[data-testid=models-current]');
  assert.match((await page.textContent('[data-testid=models-current]')) ?? '', /celui livré avec FreeMobilaChat/);
  assert.equal(await page.isDisabled('[data-testid=models-rollback]'), true);
  assert.equal(await page.isDisabled('[data-testid=models-train]'), true);
  assert.deepEqual(problems, []);
});
