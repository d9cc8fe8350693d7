/** `fmc cache stats|clear` and `fmc runs list|show`: the data directory seen from the command line. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { cacheStats, clearCache } from '../cache/index.js';
import { loadConfig } from '../config/index.js';
import { DATABASE_FILE, openDatabase, resolveDataDir, RunStore, type Db, type RunRecord } from '../store/index.js';
import { UsageError } from './errors.js';
import { formatSummary } from './summary.js';

const DataDirOptions = z.object({ dataDir: z.string().min(1).optional(), json: z.boolean().default(false) });
const CacheClearOptions = z.object({ dataDir: z.string().min(1).optional(), classifier: z.string().min(1).optional() });
const RunsListOptions = DataDirOptions.extend({ limit: z.coerce.number().int().positive() });
const RunsShowOptions = DataDirOptions.extend({ rows: z.coerce.number().int().nonnegative() });

function withDatabase<T>(dataDir: string | undefined, use: (db: Db, directory: string) => T): T {
  const directory = resolveDataDir(loadConfig({ flags: { dataDir } }).dataDir);
  if (!existsSync(join(directory, DATABASE_FILE))) throw new UsageError(`no data in ${directory}: run \`fmc classify\` first, or pass --data-dir`);
  const db = openDatabase(directory, (message) => process.stderr.write(`warning: ${message}\n`));
  try {
    return use(db, directory);
  } finally {
    db.close();
  }
}

const fileSize = (bytes: number): string => (bytes < 2 ** 20 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 2 ** 20).toFixed(1)} MB`);

export function cacheStatsCommand(rawOptions: unknown): void {
  const options = DataDirOptions.parse(rawOptions);
  withDatabase(options.dataDir, (db, directory) => {
    const stats = cacheStats(db);
    if (options.json) return void process.stdout.write(`${JSON.stringify({ dataDir: directory, ...stats })}\n`);
    const lines = [`${directory}: ${stats.entries.toLocaleString('en-US')} cached classifications, database ${fileSize(stats.bytes)}`];
    for (const [classifier, entries] of Object.entries(stats.byClassifier)) lines.push(`  ${classifier}  ${entries.toLocaleString('en-US')}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

export function cacheClearCommand(rawOptions: unknown): void {
  const options = CacheClearOptions.parse(rawOptions);
  withDatabase(options.dataDir, (db, directory) => {
    const removed = clearCache(db, options.classifier);
    process.stdout.write(`${directory}: removed ${removed.toLocaleString('en-US')} cached classifications\n`);
  });
}

function seconds(run: RunRecord): string {
  return run.stats === undefined ? '-' : `${(run.stats.totalMs / 1000).toFixed(2)} s`;
}

export function runsListCommand(rawOptions: unknown): void {
  const options = RunsListOptions.parse(rawOptions);
  withDatabase(options.dataDir, (db) => {
    const runs = new RunStore(db).list(options.limit);
    if (options.json) return void process.stdout.write(runs.map((run) => `${JSON.stringify(run)}\n`).join(''));
    if (runs.length === 0) return void process.stdout.write('no runs yet\n');
    const table = [['id', 'status', 'started', 'mode', 'rows', 'time', 'stored', 'input']];
    for (const run of runs) {
      table.push([String(run.id), run.status, run.startedAt.replace('T', ' ').slice(0, 19), run.mode, String(run.rows), seconds(run), run.storedRows > 0 ? 'yes' : 'no', run.inputName]);
    }
    const widths = (table[0] ?? []).map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
    process.stdout.write(table.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n') + '\n');
  });
}

export function runsShowCommand(rawId: string, rawOptions: unknown): void {
  const options = RunsShowOptions.parse(rawOptions);
  const id = Number(rawId);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`run id must be a positive integer, not "${rawId}"`);
  withDatabase(options.dataDir, (db) => {
    const store = new RunStore(db);
    const run = store.get(id);
    if (run === undefined) throw new UsageError(`no run ${id}: see \`fmc runs list\``);
    const rows = store.rows(id, 0, options.rows);
    if (options.json) return void process.stdout.write(`${JSON.stringify({ ...run, rowsShown: rows })}\n`);
    const lines = [
      `run ${run.id} · ${run.status} · mode ${run.mode}`,
      `  input ${run.inputName}${run.inputBytes === undefined ? '' : ` (${fileSize(run.inputBytes)}, sha256 ${run.inputSha256})`}`,
      `  started ${run.startedAt}${run.finishedAt === undefined ? '' : ` · finished ${run.finishedAt}`}`,
    ];
    if (run.error !== undefined) lines.push(`  error: ${run.error}`);
    let text = `${lines.join('\n')}\n`;
    if (run.stats !== undefined) text += formatSummary(run.stats, 0, `${run.storedRows.toLocaleString('en-US')} rows stored`);
    if (run.problems.length > 0) text += `  input warnings:\n${run.problems.map((problem) => `    ${problem}\n`).join('')}`;
    text += rows.map((row) => `${JSON.stringify(row)}\n`).join('');
    process.stdout.write(text);
  });
}
