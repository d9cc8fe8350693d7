import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { openInput } from '../src/ingest/index.js';
import { InputError } from '../src/ingest/types.js';
import { readAll, writeTemp } from './helpers.js';

test('reads comma, semicolon and tab CSV, with or without a UTF-8 BOM', async () => {
  for (const [name, content] of [
    ['comma.csv', 'id,text\n1,"panne, encore"\n2,merci\n'],
    ['semicolon.csv', '\ufeffid;text\n1;"panne, encore"\n2;merci\n'],
    ['tab.tsv', 'id\ttext\n1\tpanne, encore\n2\tmerci\n'],
  ] as const) {
    const { rows, problems } = await readAll(writeTemp(name, content));
    assert.deepEqual(rows.map((row) => [row.id, row.text]), [['1', 'panne, encore'], ['2', 'merci']], name);
    assert.deepEqual(problems, []);
  }
});

test('detects Windows-1252 and decodes it; --encoding forces an encoding', async () => {
  const path = writeTemp('latin.csv', iconv.encode('id,text\n1,très déçu de la télé\n', 'windows-1252'));
  const detected = await readAll(path);
  assert.equal(detected.rows[0]?.text, 'très déçu de la télé');
  const forced = await readAll(writeTemp('utf8.csv', 'id,text\n1,déçu\n'), { encoding: 'latin1' });
  assert.equal(forced.rows[0]?.text, 'dÃ©Ã§u');
});

test('keeps ids exactly as written: leading zeros and ids beyond 2^53', async () => {
  const csv = await readAll(writeTemp('ids.csv', 'tweet_id,tweet\n000592,a\n1850000212557272634,b\n'));
  assert.deepEqual(csv.rows.map((row) => row.id), ['000592', '1850000212557272634']);
  const jsonl = await readAll(writeTemp('ids.jsonl', '{"id": 1850000212557272634, "text": "a"}\n{"id": "000592", "text": "b"}\n'));
  assert.deepEqual(jsonl.rows.map((row) => row.id), ['1850000212557272634', '000592']);
  const json = await readAll(writeTemp('ids.json', '[{"id": 1850000212557272634, "content": "a"}]'));
  assert.equal(json.rows[0]?.id, '1850000212557272634');
});

test('finds the text column by name and uses row numbers when there is no id', async () => {
  const { rows } = await readAll(writeTemp('cols.csv', 'user,Full_Text\nbob,salut\n'));
  assert.equal(rows[0]?.text, 'salut');
  assert.equal(rows[0]?.id, '1');
  assert.equal(rows[0]?.fields.id, '1');
});

test('a missing text column stops with a message naming the file and the columns', async () => {
  const path = writeTemp('nocol.csv', 'a,b\n1,2\n');
  await assert.rejects(readAll(path), (error: Error) => error instanceof InputError && error.message.includes(path) && /"a", "b"/.test(error.message) && /--text-column/.test(error.message));
  await assert.rejects(readAll(path, { textColumn: 'tweet' }), /no column "tweet"/);
});

test('an unreadable file is an InputError', async () => {
  await assert.rejects(openInput('/nonexistent/tweets.csv'), (error: Error) => error instanceof InputError && /no such file/.test(error.message));
});

test('ragged CSV rows are kept and reported with their line', async () => {
  const { rows, problems } = await readAll(writeTemp('ragged.csv', 'id,text,lang\n1,hello\n2,panne,fr,extra\n3,ok,fr\n'));
  assert.deepEqual(rows.map((row) => row.id), ['1', '2', '3']);
  assert.equal(rows[1]?.fields._extra_1, 'extra');
  assert.deepEqual(problems.map((problem) => problem.line), [2, 3]);
  assert.match(problems[0]?.message ?? '', /expected 3 fields, found 2/);
});

test('an unclosed quote costs one error row, and reading resumes on the next line', async () => {
  const { rows, problems } = await readAll(writeTemp('quote.csv', 'id,text\n1,ok\n2,"broken\n3,fine\n4,also fine\n'));
  assert.equal(rows[0]?.text, 'ok');
  assert.match(rows[1]?.error ?? '', /line 3: malformed CSV/);
  assert.deepEqual(rows.slice(2).map((row) => [row.id, row.text]), [['3', 'fine'], ['4', 'also fine']]);
  assert.equal(problems[0]?.line, 3);
});

test('a JSON line that does not parse becomes an error row; the others are read', async () => {
  const { rows, problems } = await readAll(writeTemp('bad.jsonl', '{"id":"a","text":"un"}\n{"id": oops}\n\n[1,2]\n{"id":"d","text":"quatre"}\n'));
  assert.deepEqual(rows.map((row) => row.id), ['a', '2', '3', 'd']);
  assert.match(rows[1]?.error ?? '', /line 2: invalid JSON/);
  assert.match(rows[2]?.error ?? '', /line 4: not a JSON object/);
  assert.deepEqual(problems.map((problem) => problem.line), [2, 4]);
});

test('empty and oversized texts are error rows; invalid UTF-8 is reported and kept', async () => {
  const huge = 'a'.repeat(10 * 1024 * 1024);
  const bytes = Buffer.concat([Buffer.from(`id,text\n1,\n2,${huge}\n3,caf`), Buffer.from([0xe9, 0x20]), Buffer.from('ok\n')]);
  // The first 64 KiB are valid UTF-8, so the file is read as UTF-8 and the bad byte is replaced.
  const { rows, problems } = await readAll(writeTemp('bad.csv', bytes));
  assert.equal(rows.length, 3);
  assert.match(rows[0]?.error ?? '', /empty text/);
  assert.match(rows[1]?.error ?? '', /text too long: 10485760 characters/);
  assert.equal(rows[2]?.error, undefined);
  assert.equal(rows[2]?.text, 'caf\ufffd ok');
  assert.match(problems.at(-1)?.message ?? '', /invalid bytes/);
});

test('JSON arrays stream their items; a truncated array keeps the items before the break', async () => {
  const { rows } = await readAll(writeTemp('tweets.json', '[{"id":"1","text":"a"},{"id":"2","text":"b"},{"id":"3","te'));
  assert.deepEqual(rows.slice(0, 2).map((row) => row.text), ['a', 'b']);
  assert.match(rows[2]?.error ?? '', /invalid JSON after item 2/);
});
