/**
 * Speed and memory, printed as numbers (never asserted by tests):
 *  1. clean + rules, then clean + rules + model, in process, on the demo texts made distinct;
 *     and the time to load the shipped model;
 *  2. the CLI end to end on the demo file up-sampled to 2,634 rows (process start to file written);
 *  3. the CLI streaming a generated 1,000,000-row CSV of mostly distinct tweets: rows/s and peak RSS.
 * Usage: npm run bench [-- --rows 1000000]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { cleanTweet } from '../src/clean/index.js';
import { createRulesClassifier } from '../src/classify/rules.js';
import { DEFAULT_MODEL_PATH, type TweetClassifier } from '../src/classify/index.js';
import { createModelClassifier, loadModel } from '../src/classify/model.js';

const DEMO = 'examples/demo_tweets.csv';
const bigRows = Number(process.argv[process.argv.indexOf('--rows') + 1] ?? 0) || 1_000_000;
const demo = parse(readFileSync(DEMO), { columns: true }) as Record<string, string>[];
const work = mkdtempSync(join(tmpdir(), 'fmc-bench-'));

function inProcess(label: string, classifier: TweetClassifier, count: number): void {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const row = demo[i % demo.length] as Record<string, string>;
    classifier.classify({ tweet: cleanTweet(`${row.text} ${i}`), author: row.author });
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label}${Math.round(count / seconds).toLocaleString('en-US')} tweets/s (${count.toLocaleString('en-US')} tweets, one core)`);
}

function runCli(input: string, label: string): void {
  const out = join(work, 'out.csv');
  const started = performance.now();
  const result = spawnSync(process.execPath, ['bin/fmc.js', 'classify', input, '--out', out], { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`fmc failed: ${result.stderr}`);
  const summary = /([\d,]+) rows in [\d.]+ s \(([\d,]+) rows\/s\), peak memory (\d+) MB/.exec(result.stderr);
  console.log(`${label}${seconds.toFixed(2)} s wall, ${summary?.[2]} rows/s inside, peak RSS ${summary?.[3]} MB (${summary?.[1]} rows)`);
}

async function writeBigCsv(path: string, rows: number): Promise<void> {
  const file = createWriteStream(path);
  file.write('id,author,date,text\n');
  const towns = ['Lyon', 'Lille', 'Nantes', 'Brest', 'Metz', 'Nice', 'Pau', 'Dijon', 'Rouen', 'Caen'];
  for (let i = 0; i < rows; i++) {
    const row = demo[i % demo.length] as Record<string, string>;
    // A number and a town make nearly every text distinct, as in a real export.
    const text = `${row.text} (${towns[i % towns.length]} ${Math.floor(i / demo.length)})`;
    if (!file.write(stringify([[String(1_850_000_000_000_000_000n + BigInt(i)), row.author, row.date, text]]))) await once(file, 'drain');
  }
  file.end();
  await once(file, 'finish');
}

inProcess('clean + rules, in process:         ', createRulesClassifier(), 200_000);
const loadStarted = performance.now();
const model = createModelClassifier(loadModel(DEFAULT_MODEL_PATH));
console.log(`model load:                        ${Math.round(performance.now() - loadStarted)} ms (${(statSync(DEFAULT_MODEL_PATH).size / 2 ** 20).toFixed(1)} MB)`);
inProcess('clean + rules + model, in process: ', model, 100_000);
const demo2634 = join(work, 'demo_2634.csv');
writeFileSync(demo2634, stringify([Object.keys(demo[0] ?? {}), ...Array.from({ length: 2634 }, (_, i) => Object.values(demo[i % demo.length] ?? {}))]));
runCli(demo2634, 'CLI, demo file x 2,634 rows:     ');
const big = join(work, 'big.csv');
await writeBigCsv(big, bigRows);
runCli(big, `CLI, generated ${bigRows.toLocaleString('en-US')} rows:  `);
rmSync(work, { recursive: true, force: true });
