/**
 * Backups of a data directory: a consistent copy of the database taken while
 * the server writes to it (SQLite's online backup), with the inputs kept for
 * unfinished runs and the model registry, in one .tar.gz. Restoring unpacks
 * it into an empty directory.
 */
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as tar from 'tar';
import { DATABASE_FILE, DataDirError, type Db } from './database.js';

/** Upload inputs, kept in the data directory until their run ends. */
export const UPLOADS_DIRECTORY = 'uploads';
/** The model registry: trained models, their cards, which one is the default. */
export const MODELS_DIRECTORY = 'models';
/** What a backup holds besides the database. */
const KEPT_DIRECTORIES = [UPLOADS_DIRECTORY, MODELS_DIRECTORY];
const BACKUP_NAME = /^fmc-backup-\d{8}-\d{6}\.tar\.gz$/;

export interface BackupResult {
  file: string;
  bytes: number;
  inputs: number;
  /** Files of the model registry. */
  modelFiles: number;
}

/** Writes `outFile` (.tar.gz) from the open database of `dataDir` and its kept inputs. */
export async function backupDataDir(db: Db, dataDir: string, outFile: string): Promise<BackupResult> {
  const staging = await mkdtemp(join(tmpdir(), 'fmc-backup-'));
  try {
    await db.backup(join(staging, DATABASE_FILE));
    const entries = [DATABASE_FILE];
    const kept: Record<string, number> = {};
    for (const directory of KEPT_DIRECTORIES) {
      const files = existsSync(join(dataDir, directory)) ? await readdir(join(dataDir, directory)) : [];
      kept[directory] = files.length;
      if (files.length === 0) continue;
      await mkdir(join(staging, directory));
      // Hard links where the file system allows, so a large input is not copied twice.
      for (const file of files) await linkOrCopy(join(dataDir, directory, file), join(staging, directory, file));
      entries.push(directory);
    }
    await mkdir(dirname(outFile), { recursive: true });
    // Written beside the target and renamed: a backup file is either whole or absent.
    const partial = `${outFile}.partial`;
    await tar.create({ gzip: true, file: partial, cwd: staging, portable: true }, entries);
    await rename(partial, outFile);
    return { file: outFile, bytes: (await stat(outFile)).size, inputs: kept[UPLOADS_DIRECTORY] ?? 0, modelFiles: kept[MODELS_DIRECTORY] ?? 0 };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

/** Unpacks a backup into `dataDir`, which must be empty or absent unless `force` (then its database and inputs are replaced). */
export async function restoreDataDir(file: string, dataDir: string, force: boolean): Promise<void> {
  if (!existsSync(file)) throw new DataDirError(`no backup file ${file}`);
  const present = existsSync(dataDir) ? await readdir(dataDir) : [];
  if (present.length > 0 && !force) throw new DataDirError(`${dataDir} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}): restore into an empty directory, or pass --force to replace its data`);
  const names: string[] = [];
  await tar.list({ file, onReadEntry: (entry) => void names.push(entry.path) });
  if (!names.includes(DATABASE_FILE)) throw new DataDirError(`${file} is not a FreeMobilaChat backup: it holds no ${DATABASE_FILE}`);
  await mkdir(dataDir, { recursive: true });
  for (const name of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, ...KEPT_DIRECTORIES]) await rm(join(dataDir, name), { recursive: true, force: true });
  await tar.extract({ file, cwd: dataDir, strict: true });
}

/** `fmc-backup-20261201-030000.tar.gz`, in UTC: names sort by time. */
export function backupFileName(at: Date): string {
  return `fmc-backup-${at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}.tar.gz`;
}

/** Deletes all but the newest `keep` backups of a directory; returns the deleted names. */
export async function pruneBackups(backupDir: string, keep: number): Promise<string[]> {
  const backups = (await readdir(backupDir)).filter((name) => BACKUP_NAME.test(name)).sort();
  const old = backups.slice(0, Math.max(0, backups.length - keep));
  for (const name of old) await rm(join(backupDir, name), { force: true });
  return old;
}

/** The time of the newest backup in a directory, from its name. */
export async function newestBackupTime(backupDir: string): Promise<number | undefined> {
  if (!existsSync(backupDir)) return undefined;
  const newest = (await readdir(backupDir)).filter((name) => BACKUP_NAME.test(name)).sort().at(-1);
  if (newest === undefined) return undefined;
  const digits = basename(newest).slice(11, 26);
  return Date.parse(`${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T${digits.slice(9, 11)}:${digits.slice(11, 13)}:${digits.slice(13, 15)}Z`);
}
