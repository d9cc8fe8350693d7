/** `fmc users …`, `fmc keys …`, `fmc audit`: accounts and their trail, on a data directory's database. */
import { userInfo } from 'node:os';
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import { AccountError, AccountStore, AuditLog, ROLES } from '../auth/index.js';
import { loadConfig, sinceTime } from '../config/index.js';
import { openDatabase, resolveDataDir } from '../store/index.js';
import { postgresSql, sqliteSql, type Sql } from '../store/sql.js';
import { UsageError } from './errors.js';

export const DataDir = z.object({ dataDir: z.string().min(1).optional(), databaseUrl: z.string().min(1).optional() });
const UsersAddOptions = DataDir.extend({ role: z.enum(ROLES), passwordStdin: z.boolean().default(false) });
const KeysCreateOptions = DataDir.extend({ user: z.string().min(1), name: z.string().min(1).optional() });
const KeysListOptions = DataDir.extend({ user: z.string().min(1).optional(), json: z.boolean().default(false) });
const AuditOptions = DataDir.extend({ since: z.string().min(1).optional(), json: z.boolean().default(false) });

/** The command line's actor in the audit log: the system user who ran it. */
export const CLI_ACTOR = `cli:${userInfo().username}`;

/**
 * Opens the store the server uses: the cluster's PostgreSQL (`--database-url`, `FMC_DATABASE_URL`), else the data
 * directory's database, created if needed (the first user is made before the first run).
 */
export async function withStore<T>(where: z.infer<typeof DataDir>, use: (sql: Sql) => Promise<T>): Promise<T> {
  const databaseUrl = where.databaseUrl ?? (process.env.FMC_DATABASE_URL || undefined);
  let sql: Sql;
  let close: () => Promise<void> | void;
  if (databaseUrl !== undefined) {
    const { connectPostgres, migratePostgres } = await import('../store/postgres.js');
    const pool = await connectPostgres(databaseUrl);
    await migratePostgres(pool);
    sql = postgresSql(pool);
    close = () => pool.end();
  } else {
    const db = openDatabase(resolveDataDir(loadConfig({ flags: { dataDir: where.dataDir } }).dataDir), (message) => process.stderr.write(`warning: ${message}\n`));
    sql = sqliteSql(db);
    close = () => {
      db.close();
    };
  }
  try {
    return await use(sql);
  } finally {
    await close();
  }
}

/** Accounts and their audit log, where they live (see `withStore`). */
async function withAccounts<T>(where: z.infer<typeof DataDir>, use: (accounts: AccountStore, audit: AuditLog) => Promise<T>): Promise<T> {
  return withStore(where, async (sql) => {
    try {
      return await use(new AccountStore(sql), new AuditLog(sql));
    } catch (error) {
      // A wrong name or role is the user's mistake: exit 2 with the message.
      if (error instanceof AccountError) throw new UsageError(error.message);
      throw error;
    }
  });
}

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

export async function usersAddCommand(name: string, rawOptions: unknown): Promise<void> {
  const options = UsersAddOptions.parse(rawOptions);
  // One line from stdin (a pipe or a secret store), never from an argument: arguments show in `ps` and shell history.
  const password = options.passwordStdin ? (await text(process.stdin)).replace(/\r?\n$/, '') : undefined;
  await withAccounts(options, async (accounts, audit) => {
    const user = await accounts.addUser(name, options.role, password);
    await audit.record({ actor: CLI_ACTOR, action: 'user.add', target: user.name, detail: `role ${user.role}` });
    process.stdout.write(`added ${user.role} ${user.name}${user.hasPassword ? '' : ' (no password: signs in with an API key, see `fmc keys create`)'}\n`);
  });
}

export async function usersListCommand(rawOptions: unknown): Promise<void> {
  const options = DataDir.extend({ json: z.boolean().default(false) }).parse(rawOptions);
  await withAccounts(options, async (accounts) => {
    const users = await accounts.users();
    if (options.json) return void process.stdout.write(users.map((user) => `${JSON.stringify(user)}\n`).join(''));
    if (users.length === 0) return void process.stdout.write('no users: the server is open on loopback only (add one with `fmc users add NAME --role admin`)\n');
    process.stdout.write(table([['name', 'role', 'source', 'password', 'created'], ...users.map((user) => [user.name, user.role, user.source, user.hasPassword ? 'yes' : 'no', user.createdAt.slice(0, 19).replace('T', ' ')])]));
  });
}

export async function usersRemoveCommand(name: string, rawOptions: unknown): Promise<void> {
  const options = DataDir.parse(rawOptions);
  await withAccounts(options, async (accounts, audit) => {
    await accounts.removeUser(name);
    await audit.record({ actor: CLI_ACTOR, action: 'user.remove', target: name });
    process.stdout.write(`removed ${name}, its keys and its sessions\n`);
  });
}

export async function usersSetRoleCommand(name: string, role: string, rawOptions: unknown): Promise<void> {
  const options = DataDir.parse(rawOptions);
  await withAccounts(options, async (accounts, audit) => {
    const user = await accounts.setRole(name, role);
    // Sessions read the role on each request, so they carry the new role at once.
    await audit.record({ actor: CLI_ACTOR, action: 'user.set-role', target: name, detail: `role ${user.role}` });
    process.stdout.write(`${name} is now ${user.role}\n`);
  });
}

export async function usersSignOutCommand(name: string, rawOptions: unknown): Promise<void> {
  const options = DataDir.parse(rawOptions);
  await withAccounts(options, async (accounts, audit) => {
    const ended = await accounts.endSessionsOf(name);
    await audit.record({ actor: CLI_ACTOR, action: 'user.sign-out', target: name, detail: `${ended} session(s)` });
    process.stdout.write(`ended ${ended} session(s) of ${name}; its API keys still work (see \`fmc keys revoke\`)\n`);
  });
}

export async function keysCreateCommand(rawOptions: unknown): Promise<void> {
  const options = KeysCreateOptions.parse(rawOptions);
  await withAccounts(options, async (accounts, audit) => {
    const { id, key } = await accounts.createKey(options.user, options.name);
    await audit.record({ actor: CLI_ACTOR, action: 'key.create', target: id, detail: `for ${options.user}` });
    // The key is shown this once, alone on the last line, so a script can take it with `tail -n 1`.
    process.stdout.write(`key ${id} for ${options.user}; it is shown only now, keep it in a secret store:\n${key}\n`);
  });
}

export async function keysListCommand(rawOptions: unknown): Promise<void> {
  const options = KeysListOptions.parse(rawOptions);
  await withAccounts(options, async (accounts) => {
    const keys = await accounts.keys(options.user);
    if (options.json) return void process.stdout.write(keys.map((key) => `${JSON.stringify(key)}\n`).join(''));
    if (keys.length === 0) return void process.stdout.write('no keys\n');
    const day = (time: string | undefined) => (time === undefined ? '-' : time.slice(0, 19).replace('T', ' '));
    process.stdout.write(table([['id', 'user', 'name', 'created', 'last used', 'revoked'], ...keys.map((key) => [key.id, key.user, key.name ?? '-', day(key.createdAt), day(key.lastUsedAt), day(key.revokedAt)])]));
  });
}

export async function keysRevokeCommand(id: string, rawOptions: unknown): Promise<void> {
  const options = DataDir.parse(rawOptions);
  await withAccounts(options, async (accounts, audit) => {
    const key = await accounts.revokeKey(id);
    await audit.record({ actor: CLI_ACTOR, action: 'key.revoke', target: id, detail: `of ${key.user}` });
    process.stdout.write(`revoked key ${id} of ${key.user}\n`);
  });
}

/** `--since` as a date (2026-12-01, ISO time) or an age (30m, 24h, 7d). */
export function parseSince(since: string | undefined, now = Date.now()): Date | undefined {
  if (since === undefined) return undefined;
  const time = sinceTime(since, now);
  if (time === undefined) throw new UsageError(`--since ${since}: give a date (2026-12-01) or an age (30m, 24h, 7d)`);
  return new Date(time);
}

export async function auditCommand(rawOptions: unknown): Promise<void> {
  const options = AuditOptions.parse(rawOptions);
  const since = parseSince(options.since);
  await withAccounts(options, async (_accounts, audit) => {
    const entries = await audit.list(since);
    if (options.json) return void process.stdout.write(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    if (entries.length === 0) return void process.stdout.write('no audit entries\n');
    process.stdout.write(table([['at', 'actor', 'action', 'target', 'from', 'detail'], ...entries.map((entry) => [entry.at.slice(0, 19).replace('T', ' '), entry.actor, entry.action, entry.target ?? '-', entry.ip ?? '-', entry.detail ?? ''])]));
  });
}
