import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { LABEL_VALUES } from '../src/labels.js';
import { fmc, tempDir, writeTemp } from './helpers.js';

const FIXTURE = 'test/fixtures/tweets.csv';

test('classify writes every row, in order, with its columns and six KPIs', () => {
  const out = join(tempDir(), 'new-folder', 'labelled.csv');
  const { code, stderr } = fmc(['classify', FIXTURE, '--out', out]);
  assert.equal(code, 0, stderr);
  const rows = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
  assert.deepEqual(rows.map((row) => row.id), ['000101', '000102', '000103', '000104', '000105', '1850000212557272634']);
  for (const row of rows) {
    for (const label of ['sentiment', 'is_claim', 'urgence', 'topics', 'incident'] as const) {
      assert.ok((LABEL_VALUES[label] as readonly string[]).includes(row[label] ?? ''), `${label}=${row[label]}`);
    }
    const confidence = Number(row.confidence);
    assert.ok(confidence >= 0 && confidence <= 1);
  }
  assert.equal(rows[0]?.author, 'lea_42');
  assert.equal(rows[0]?.text_cleaned, "plus d'internet depuis 3 jours, je suis en télétravail");
  assert.equal(rows[0]?.urgence, 'critique');
  assert.equal(rows[3]?.duplicate_of, '000101');
  assert.equal(rows[3]?.incident, rows[0]?.incident);
  assert.match(rows[4]?.error ?? '', /empty text/);
  assert.deepEqual([rows[4]?.sentiment, rows[4]?.is_claim, rows[4]?.urgence, rows[4]?.topics, rows[4]?.incident, rows[4]?.confidence], ['neutre', 'non', 'faible', 'autre', 'information', '0']);
  assert.equal(rows[5]?.incident, 'facturation');
  assert.match(stderr, /6 rows in .* rows\/s/);
  assert.match(stderr, /duplicates 1 · errors 1/);
  assert.match(stderr, /warning: .*tweets\.csv:6: empty text/);
});

test('JSONL on stdout by default, from stdin; --quiet prints nothing on stderr', () => {
  const { code, stdout, stderr } = fmc(['classify', '-', '--quiet'], '{"tweet_id":"7","tweet":"plus d\'internet depuis 3 jours"}\n');
  assert.equal(code, 0);
  assert.equal(stderr, '');
  const row = JSON.parse(stdout.trim()) as Record<string, unknown>;
  assert.equal(row.tweet_id, '7');
  assert.equal(row.is_claim, 'oui');
  assert.equal(row.incident, 'panne_technique');
});

test('JSON output is one array with a record per row', () => {
  const out = join(tempDir(), 'labelled.json');
  assert.equal(fmc(['classify', FIXTURE, '--out', out, '--quiet']).code, 0);
  const rows = JSON.parse(readFileSync(out, 'utf8')) as unknown[];
  assert.equal(rows.length, 6);
});

test('an unreadable input or a missing column exits non-zero with a clear message', () => {
  const missing = fmc(['classify', '/nonexistent.csv']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /fmc: error: \/nonexistent\.csv: cannot read the file \(no such file\)/);
  const noColumn = fmc(['classify', writeTemp('x.csv', 'a,b\n1,2\n')]);
  assert.equal(noColumn.code, 1);
  assert.match(noColumn.stderr, /no text column found; columns are "a", "b"/);
});

test('a bad --out extension is a usage error and writes nothing', () => {
  const result = fmc(['classify', FIXTURE, '--out', join(tempDir(), 'x.xlsx')]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown format/);
});
