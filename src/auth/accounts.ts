/**
 * Users, their API keys and their sign-in sessions, in the data directory's
 * database (or the cluster's PostgreSQL). Keys and session tokens are stored
 * as SHA-256 digests (they are random and long, so a fast hash is enough);
 * passwords with scrypt.
 */
import { randomBytes } from 'node:crypto';
import type { Sql } from '../store/sql.js';
import { ROLES, type Principal, type Role } from './roles.js';
import { digestMatches, hashPassword, randomToken, sha256, verifyPassword } from './secrets.js';

export interface User {
  name: string;
  role: Role;
  source: 'local' | 'oidc';
  hasPassword: boolean;
  createdAt: string;
}

export interface ApiKeyInfo {
  id: string;
  user: string;
  name: string | undefined;
  createdAt: string;
  lastUsedAt: string | undefined;
  revokedAt: string | undefined;
}

export interface Session {
  token: string;
  csrfToken: string;
  expiresAt: number;
}

/** A mistake in what was asked (unknown user, taken name, bad role): the CLI exits 2, the API answers 400/404/409. */
const STATUS_OF_KIND = { invalid: 400, missing: 404, conflict: 409 } as const;

export class AccountError extends Error {
  override name = 'AccountError';
  constructor(message: string, readonly kind: keyof typeof STATUS_OF_KIND) {
    super(message);
  }

  /** The HTTP status the server's error handler answers with. */
  get statusCode(): number {
    return STATUS_OF_KIND[this.kind];
  }
}

const NAME = /^[\w.@-]{1,64}$/;
/** API keys read `fmc_<id>_<secret>`: the id finds the key, the secret (32 random bytes) proves it. */
const KEY = /^fmc_([0-9a-f]{12})_([\w-]{43})$/;

interface UserRow {
  id: number;
  name: string;
  role: Role;
  password_hash: string | null;
  source: 'local' | 'oidc';
  created_at: string;
}

/** Checked against when the user does not exist, so that answering "no" takes as long either way. */
const DUMMY_HASH: { value?: string } = {};

const toUser = (row: UserRow): User => ({ name: row.name, role: row.role, source: row.source, hasPassword: row.password_hash !== null, createdAt: row.created_at });

function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new AccountError(`role must be one of ${ROLES.join(', ')}, not "${role}"`, 'invalid');
  return role as Role;
}

export class AccountStore {
  constructor(private readonly sql: Sql) {}

  /** True once a user exists: the server then asks everyone who they are. */
  async hasUsers(): Promise<boolean> {
    return (await this.sql.all('SELECT id FROM users LIMIT 1')).length > 0;
  }

  async addUser(name: string, role: string, password: string | undefined, source: User['source'] = 'local'): Promise<User> {
    if (!NAME.test(name)) throw new AccountError(`user name "${name}": 1 to 64 letters, digits, or . _ @ -`, 'invalid');
    checkRole(role);
    if (password !== undefined && password.length < 10) throw new AccountError('a password needs at least 10 characters', 'invalid');
    if ((await this.row(name)) !== undefined) throw new AccountError(`user ${name} exists already`, 'conflict');
    const hash = password === undefined ? null : await hashPassword(password);
    await this.sql.run('INSERT INTO users (name, role, password_hash, source, created_at) VALUES (?, ?, ?, ?, ?)', [name, role, hash, source, new Date().toISOString()]);
    return toUser(await this.existing(name));
  }

  async users(): Promise<User[]> {
    return (await this.sql.all<UserRow>('SELECT * FROM users ORDER BY name')).map(toUser);
  }

  /** Removes a user with its keys and sessions. */
  async removeUser(name: string): Promise<void> {
    await this.sql.run('DELETE FROM users WHERE id = ?', [(await this.existing(name)).id]);
  }

  async setRole(name: string, role: string): Promise<User> {
    await this.sql.run('UPDATE users SET role = ? WHERE id = ?', [checkRole(role), (await this.existing(name)).id]);
    return toUser(await this.existing(name));
  }

  /**
   * A user signed in by single sign-on: created on first sign-in, its role following the provider's claim.
   * A local account of the same name is not taken over.
   */
  async upsertExternalUser(name: string, role: Role): Promise<User> {
    const row = await this.row(name);
    if (row?.source === 'local') throw new AccountError(`a local account is named ${name}: single sign-on cannot use it`, 'conflict');
    if (row === undefined) await this.sql.run("INSERT INTO users (name, role, source, created_at) VALUES (?, ?, 'oidc', ?)", [name, role, new Date().toISOString()]);
    else await this.sql.run('UPDATE users SET role = ? WHERE id = ?', [role, row.id]);
    return toUser(await this.existing(name));
  }

  /** The user when the password is right. A wrong name costs the same time as a wrong password. */
  async checkPassword(name: string, password: string): Promise<User | undefined> {
    const row = await this.row(name);
    const hash = row?.password_hash ?? DUMMY_HASH.value ?? (DUMMY_HASH.value = await hashPassword(randomToken()));
    const matches = await verifyPassword(password, hash);
    return matches && row?.password_hash != null ? toUser(row) : undefined;
  }

  /** A new key: the whole key is returned once and only its digest is kept. */
  async createKey(userName: string, name: string | undefined): Promise<{ id: string; key: string }> {
    const user = await this.existing(userName);
    const id = randomBytes(6).toString('hex');
    const key = `fmc_${id}_${randomToken(32)}`;
    await this.sql.run('INSERT INTO api_keys (id, user_id, name, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)', [id, user.id, name ?? null, sha256(key), new Date().toISOString()]);
    return { id, key };
  }

  async keys(userName?: string): Promise<ApiKeyInfo[]> {
    const rows = await this.sql.all<{ id: string; user: string; name: string | null; created_at: string; last_used_at: string | null; revoked_at: string | null }>(
      'SELECT k.id, u.name AS user, k.name, k.created_at, k.last_used_at, k.revoked_at FROM api_keys k JOIN users u ON u.id = k.user_id WHERE CAST(? AS TEXT) IS NULL OR u.name = ? ORDER BY k.created_at, k.id',
      [userName ?? null, userName ?? null],
    );
    return rows.map((row) => ({ id: row.id, user: row.user, name: row.name ?? undefined, createdAt: row.created_at, lastUsedAt: row.last_used_at ?? undefined, revokedAt: row.revoked_at ?? undefined }));
  }

  async revokeKey(id: string): Promise<ApiKeyInfo> {
    const changed = await this.sql.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [new Date().toISOString(), id]);
    const key = (await this.keys()).find((candidate) => candidate.id === id);
    if (key === undefined) throw new AccountError(`no key ${id}: see \`fmc keys list\``, 'missing');
    if (changed === 0) throw new AccountError(`key ${id} was revoked already`, 'conflict');
    return key;
  }

  /** Who a bearer key belongs to, if it is a live key. */
  async principalOfKey(key: string): Promise<Principal | undefined> {
    const match = KEY.exec(key);
    if (match === null) return undefined;
    const [row] = await this.sql.all<{ secret_hash: Buffer; name: string; role: Role }>(
      'SELECT k.secret_hash, u.name, u.role FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = ? AND k.revoked_at IS NULL',
      [match[1]],
    );
    if (row === undefined || !digestMatches(key, row.secret_hash)) return undefined;
    // To the minute: a busy client does not cost a database write per request.
    const now = new Date();
    await this.sql.run('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)', [now.toISOString(), match[1], new Date(now.getTime() - 60_000).toISOString()]);
    return { name: row.name, role: row.role, via: 'key' };
  }

  async createSession(userName: string, lifetimeMs: number): Promise<Session> {
    const user = await this.existing(userName);
    const session = { token: randomToken(32), csrfToken: randomToken(24), expiresAt: Date.now() + lifetimeMs };
    await this.sql.run('DELETE FROM sessions WHERE expires_at < ?', [Date.now()]);
    await this.sql.run('INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [sha256(session.token), user.id, session.csrfToken, Date.now(), session.expiresAt]);
    return session;
  }

  /** The user of a live session, and the token its page must send back on every change (CSRF). */
  async session(token: string): Promise<{ principal: Principal; csrfToken: string } | undefined> {
    // Looked up by digest: the digest of a guess reveals nothing about stored tokens.
    const [row] = await this.sql.all<{ name: string; role: Role; csrf_token: string }>(
      'SELECT u.name, u.role, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?',
      [sha256(token), Date.now()],
    );
    return row === undefined ? undefined : { principal: { name: row.name, role: row.role, via: 'session' }, csrfToken: row.csrf_token };
  }

  async endSession(token: string): Promise<void> {
    await this.sql.run('DELETE FROM sessions WHERE token_hash = ?', [sha256(token)]);
  }

  /** Signs a user out everywhere (a lost laptop, a departure); returns how many sessions ended. */
  async endSessionsOf(userName: string): Promise<number> {
    return this.sql.run('DELETE FROM sessions WHERE user_id = ?', [(await this.existing(userName)).id]);
  }

  /** Records a single-use ticket for `path`, held by `holder` (what the server needs to know the caller again). */
  async issueTicket(holder: string, path: string, lifetimeMs: number): Promise<string> {
    const ticket = randomToken(24);
    await this.sql.run('DELETE FROM tickets WHERE expires_at < ?', [Date.now()]);
    await this.sql.run('INSERT INTO tickets (ticket_hash, principal, path, expires_at) VALUES (?, ?, ?, ?)', [sha256(ticket), holder, path, Date.now() + lifetimeMs]);
    return ticket;
  }

  /** The holder of a live ticket for `path`; the ticket is used up whatever the answer. */
  async takeTicket(ticket: string, path: string): Promise<string | undefined> {
    const [row] = await this.sql.all<{ principal: string; path: string; expires_at: number | string }>('DELETE FROM tickets WHERE ticket_hash = ? RETURNING principal, path, expires_at', [sha256(ticket)]);
    return row !== undefined && row.path === path && Number(row.expires_at) >= Date.now() ? row.principal : undefined;
  }

  private async row(name: string): Promise<UserRow | undefined> {
    return (await this.sql.all<UserRow>('SELECT * FROM users WHERE name = ?', [name]))[0];
  }

  private async existing(name: string): Promise<UserRow> {
    const row = await this.row(name);
    if (row === undefined) throw new AccountError(`no user ${name}: see \`fmc users list\``, 'missing');
    return row;
  }
}
