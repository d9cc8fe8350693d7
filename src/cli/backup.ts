/** `fmc backup` and `fmc restore`: a data directory to one file and back, while the server runs. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../config/index.js';
import { backupDataDir, DATABASE_FILE, openDatabase, resolveDataDir, restoreDataDir } from '../store/index.js';
import { UsageError } from './errors.js';

const BackupOptions = z.object({ dataDir: z.string().min(1).optional(), out: z.string().min(1) });
const RestoreOptions = z.object({ dataDir: z.string().min(1), force: z.boolean().default(false) });

export async function backupCommand(rawOptions: unknown): Promise<void> {
  const options = BackupOptions.parse(rawOptions);
  if (process.env.FMC_DATABASE_URL) {
    throw new UsageError('FMC_DATABASE_URL is set: on the cluster, runs, rows, the cache, users and keys live in PostgreSQL; back it up with pg_dump -Fc "$FMC_DATABASE_URL" -f fmc.dump and restore with pg_restore -d URL fmc.dump (see the README). fmc backup copies an embedded data directory.');
  }
  const dataDir = resolveDataDir(loadConfig({ flags: { dataDir: options.dataDir } }).dataDir);
  if (!existsSync(join(dataDir, DATABASE_FILE))) throw new UsageError(`no data in ${dataDir}: nothing to back up (pass --data-dir)`);
  const db = openDatabase(dataDir, (message) => process.stderr.write(`warning: ${message}\n`));
  try {
    const result = await backupDataDir(db, dataDir, options.out);
    process.stdout.write(`backed up ${dataDir} to ${result.file} (${(result.bytes / 2 ** 20).toFixed(1)} MB, ${result.inputs} kept input(s), ${result.modelFiles} model registry file(s))\n`);
  } finally {
    db.close();
  }
}

export async function restoreCommand(file: string, rawOptions: unknown): Promise<void> {
  const options = RestoreOptions.parse(rawOptions);
  const dataDir = resolveDataDir(options.dataDir);
  await restoreDataDir(file, dataDir, options.force);
  process.stdout.write(`restored ${file} into ${dataDir}: serve it with fmc serve --data-dir ${dataDir}\n`);
}
