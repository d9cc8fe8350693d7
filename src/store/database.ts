/**
 * The embedded database: one SQLite file in the data directory holding the
 * label cache and the run store. WAL mode lets several processes read and
 * write it at once; a file that is not a usable database is moved aside and
 * rebuilt, because a cache must never stop a run.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export const DATABASE_FILE = 'fmc.db';

/** The configured data directory (see `loadConfig`), else `./.fmc`. */
export function resolveDataDir(dataDir: string | undefined): string {
  return resolve(dataDir ?? '.fmc');
}

export class DataDirError extends Error {
  override name = 'DataDirError';
}

const MIGRATIONS: readonly string[] = [
  // Keys are 16 random-looking bytes: a rowid table inserts them about twice as fast as WITHOUT ROWID.
  `CREATE TABLE cache (
     key BLOB PRIMARY KEY,
     classifier TEXT NOT NULL,
     labels TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     input_name TEXT NOT NULL,
     input_sha256 TEXT,
     input_bytes INTEGER,
     mode TEXT NOT NULL,
     status TEXT NOT NULL,
     started_at TEXT NOT NULL,
     finished_at TEXT,
     rows INTEGER NOT NULL DEFAULT 0,
     stored_rows INTEGER NOT NULL DEFAULT 0,
     stats TEXT,
     problems TEXT NOT NULL DEFAULT '[]',
     error TEXT
   );
   CREATE TABLE run_rows (
     run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     position INTEGER NOT NULL,
     record TEXT NOT NULL,
     PRIMARY KEY (run_id, position)
   ) WITHOUT ROWID;`,
  // The KPIs as columns, so the web app filters, sorts and counts a run's rows in SQL.
  `ALTER TABLE run_rows ADD COLUMN sentiment TEXT;
   ALTER TABLE run_rows ADD COLUMN is_claim TEXT;
   ALTER TABLE run_rows ADD COLUMN urgence TEXT;
   ALTER TABLE run_rows ADD COLUMN topics TEXT;
   ALTER TABLE run_rows ADD COLUMN incident TEXT;
   ALTER TABLE run_rows ADD COLUMN confidence REAL;
   ALTER TABLE run_rows ADD COLUMN label_source TEXT;
   ALTER TABLE run_rows ADD COLUMN duplicate INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE run_rows ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE run_rows ADD COLUMN search TEXT;
   ALTER TABLE run_rows ADD COLUMN created_at TEXT;`,
  // Accounts, API keys (hashed), sign-in sessions (hashed), the audit log; and what a crashed run needs to start again.
  `CREATE TABLE users (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     name TEXT NOT NULL UNIQUE,
     role TEXT NOT NULL,
     password_hash TEXT,
     source TEXT NOT NULL DEFAULT 'local',
     created_at TEXT NOT NULL
   );
   CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     name TEXT,
     secret_hash BLOB NOT NULL,
     created_at TEXT NOT NULL,
     last_used_at TEXT,
     revoked_at TEXT
   );
   CREATE TABLE sessions (
     token_hash BLOB PRIMARY KEY,
     user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     csrf_token TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT,
     ip TEXT,
     detail TEXT
   );
   CREATE INDEX audit_at ON audit (at);
   ALTER TABLE runs ADD COLUMN owner TEXT;
   ALTER TABLE runs ADD COLUMN input_path TEXT;
   ALTER TABLE runs ADD COLUMN text_column TEXT;`,
  // Single-use tickets in the database, so a ticket issued by one server answers on any (replicas behind one balancer).
  `CREATE TABLE tickets (
     ticket_hash BLOB PRIMARY KEY,
     principal TEXT NOT NULL,
     path TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // Labels corrected by people: who, when, which row, the text, the labels before and after. They outlive
  // their run: later runs of the same text take them (by text), and they train the next model.
  `CREATE TABLE corrections (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
     position INTEGER NOT NULL,
     tweet_id TEXT NOT NULL,
     text TEXT NOT NULL,
     before TEXT NOT NULL,
     after TEXT NOT NULL,
     author TEXT NOT NULL,
     at TEXT NOT NULL
   );
   CREATE INDEX corrections_at ON corrections (at);
   CREATE INDEX corrections_text ON corrections (text);`,
];

function migrate(db: Db): void {
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  if (version() >= MIGRATIONS.length) return;
  // Read again under the write lock: another process may have migrated in between.
  db.transaction(() => {
    for (let next = version(); next < MIGRATIONS.length; next++) {
      db.exec(MIGRATIONS[next] as string);
      db.pragma(`user_version = ${next + 1}`);
    }
  }).immediate();
}

function open(path: string): Db {
  const db = new Database(path, { timeout: 15_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // 64 MB of page cache: the cache table's index stays in memory up to a few million entries.
    db.pragma('cache_size = -65536');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

const CORRUPTION_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

/**
 * Opens (creating if needed) the database of a data directory. A corrupted
 * file is renamed `fmc.db.corrupt-<time>` with a warning and a new one is made.
 */
export function openDatabase(dataDir: string, warn: (message: string) => void): Db {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new DataDirError(`cannot use the data directory ${dataDir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const path = join(dataDir, DATABASE_FILE);
  try {
    return open(path);
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!CORRUPTION_CODES.has(code)) {
      throw new DataDirError(`cannot open the database ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(path, aside);
    for (const suffix of ['-wal', '-shm']) {
      try {
        renameSync(`${path}${suffix}`, `${aside}${suffix}`);
      } catch {
        // The journal files exist only after an unclean stop.
      }
    }
    warn(`${path} was not a usable database (${code}); moved it to ${aside} and started a new one (the cache is empty, past runs are in the old file)`);
    return open(path);
  }
}
