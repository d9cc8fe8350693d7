/**
 * Accounts and access: every route against every kind of caller, sessions and
 * CSRF, tickets, credentials refused in URLs, constant-time comparison, the
 * audit log, the accounts CLI, and the refusal to serve an open server beyond loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { AccountStore, AuditLog } from '../src/auth/index.js';
import { sqliteSql } from '../src/store/sql.js';
import { openDatabase, RunStore, type Db } from '../src/store/index.js';
import { fmc, fmcProcess, tempDir } from './helpers.js';
import { finished, multipart, server, upload } from './http.js';

const CSV = 'id,text\n1,panne de fibre depuis ce matin\n2,merci pour la rapidité\n';
const PASSWORD = 'a long enough password';

interface Fixture {
  app: FastifyInstance;
  db: Db;
  accounts: AccountStore;
  keys: Record<'viewer' | 'analyst' | 'admin' | 'revoked', string>;
  /** A run owned by the analyst, done, with rows. */
  runId: number;
}

async function fixture(): Promise<Fixture> {
  const dataDir = tempDir();
  const db = openDatabase(dataDir, () => undefined);
  const accounts = new AccountStore(sqliteSql(db));
  for (const role of ['viewer', 'analyst', 'admin'] as const) await accounts.addUser(role, role, PASSWORD);
  const keys = {
    viewer: (await accounts.createKey('viewer', 'test')).key,
    analyst: (await accounts.createKey('analyst', 'test')).key,
    admin: (await accounts.createKey('admin', 'test')).key,
    revoked: (await accounts.createKey('admin', 'old')).key,
  };
  await accounts.revokeKey(keys.revoked.split('_')[1] as string);
  const app = await server({ db, dataDir });
  const created = await upload(app, 'tweets.csv', CSV, {}, { authorization: `Bearer ${keys.analyst}` });
  assert.equal(created.statusCode, 202, created.body);
  const run = await finished(app, created.json().id, { authorization: `Bearer ${keys.analyst}` });
  assert.equal(run.owner, 'analyst');
  return { app, db, accounts, keys, runId: run.id };
}

/** A finished run of `owner`, made for a request that deletes it. */
function ownedRun(db: Db, owner: string): number {
  const runs = new RunStore(db);
  const id = runs.start('old.csv', 'fast', 'running', { owner });
  runs.fail(id, 'test');
  return id;
}

type Caller = 'none' | 'wrong key' | 'revoked key' | 'expired session' | 'viewer' | 'analyst' | 'admin';
const CALLERS: Caller[] = ['none', 'wrong key', 'revoked key', 'expired session', 'viewer', 'analyst', 'admin'];

async function credentials(f: Fixture, caller: Caller): Promise<Record<string, string>> {
  switch (caller) {
    case 'none':
      return {};
    case 'wrong key':
      return { authorization: 'Bearer fmc_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    case 'revoked key':
      return { authorization: `Bearer ${f.keys.revoked}` };
    case 'expired session':
      return { cookie: `fmc_session=${(await f.accounts.createSession('admin', -1000)).token}` };
    default:
      return { authorization: `Bearer ${f.keys[caller]}` };
  }
}

/** Every API route, the least role it needs, and a request that succeeds with that role. */
const ROUTES: Array<{ route: string; access: 'public' | 'viewer' | 'analyst' | 'admin'; request: (f: Fixture, caller: Caller) => InjectOptions | Promise<InjectOptions>; ok: number }> = [
  { route: 'GET /api/session', access: 'public', request: () => ({ url: '/api/session' }), ok: 200 },
  { route: 'GET /api/runs', access: 'viewer', request: () => ({ url: '/api/runs' }), ok: 200 },
  { route: 'GET /api/runs/:id', access: 'viewer', request: (f) => ({ url: `/api/runs/${f.runId}` }), ok: 200 },
  { route: 'GET /api/runs/:id/events', access: 'viewer', request: (f) => ({ url: `/api/runs/${f.runId}/events` }), ok: 200 },
  { route: 'GET /api/runs/:id/tweets', access: 'viewer', request: (f) => ({ url: `/api/runs/${f.runId}/tweets` }), ok: 200 },
  { route: 'GET /api/runs/:id/export', access: 'viewer', request: (f) => ({ url: `/api/runs/${f.runId}/export` }), ok: 200 },
  { route: 'GET /api/runs/:id/tweets/:position', access: 'viewer', request: (f) => ({ url: `/api/runs/${f.runId}/tweets/0?explain=1` }), ok: 200 },
  { route: 'GET /api/runs/:id/incidents', access: 'viewer', request: (f) => ({ url: `/api/runs/${f.runId}/incidents` }), ok: 200 },
  { route: 'GET /api/incidents', access: 'viewer', request: () => ({ url: '/api/incidents' }), ok: 200 },
  { route: 'POST /api/tickets', access: 'viewer', request: (f) => ({ method: 'POST', url: '/api/tickets', payload: { path: `/api/runs/${f.runId}/export` } }), ok: 200 },
  { route: 'DELETE /api/session', access: 'viewer', request: () => ({ method: 'DELETE', url: '/api/session' }), ok: 204 },
  { route: 'POST /api/runs', access: 'analyst', request: () => ({ method: 'POST', url: '/api/runs', ...multipart({ name: 't.csv', content: CSV }) }), ok: 202 },
  { route: 'POST /api/classify', access: 'analyst', request: () => ({ method: 'POST', url: '/api/classify', payload: { tweets: [{ text: 'panne' }] } }), ok: 200 },
  { route: 'PATCH /api/runs/:id/tweets/:position', access: 'analyst', request: (f) => ({ method: 'PATCH', url: `/api/runs/${f.runId}/tweets/0`, payload: { sentiment: 'negatif' } }), ok: 200 },
  // An analyst deletes its own runs, an admin any run.
  { route: 'DELETE /api/runs/:id', access: 'analyst', request: (f, caller) => ({ method: 'DELETE', url: `/api/runs/${ownedRun(f.db, caller === 'admin' ? 'someone' : 'analyst')}` }), ok: 204 },
  { route: 'GET /api/users', access: 'admin', request: () => ({ url: '/api/users' }), ok: 200 },
  { route: 'POST /api/users', access: 'admin', request: () => ({ method: 'POST', url: '/api/users', payload: { name: `u${crypto.randomUUID().slice(0, 8)}`, role: 'viewer' } }), ok: 201 },
  {
    route: 'PATCH /api/users/:name',
    access: 'admin',
    request: () => ({ method: 'PATCH', url: '/api/users/viewer', payload: { role: 'viewer' } }),
    ok: 200,
  },
  {
    route: 'DELETE /api/users/:name',
    access: 'admin',
    request: async (f) => {
      const name = `gone${crypto.randomUUID().slice(0, 8)}`;
      await f.accounts.addUser(name, 'viewer', undefined);
      return { method: 'DELETE', url: `/api/users/${name}` };
    },
    ok: 204,
  },
  { route: 'DELETE /api/users/:name/sessions', access: 'admin', request: () => ({ method: 'DELETE', url: '/api/users/viewer/sessions' }), ok: 200 },
  { route: 'GET /api/keys', access: 'admin', request: () => ({ url: '/api/keys' }), ok: 200 },
  { route: 'POST /api/keys', access: 'admin', request: () => ({ method: 'POST', url: '/api/keys', payload: { user: 'viewer' } }), ok: 201 },
  { route: 'DELETE /api/keys/:id', access: 'admin', request: async (f) => ({ method: 'DELETE', url: `/api/keys/${(await f.accounts.createKey('viewer', 'to revoke')).id}` }), ok: 204 },
  { route: 'GET /api/audit', access: 'admin', request: () => ({ url: '/api/audit' }), ok: 200 },
  { route: 'GET /api/review', access: 'analyst', request: (f) => ({ url: `/api/review?run=${f.runId}` }), ok: 200 },
  { route: 'GET /api/models', access: 'viewer', request: () => ({ url: '/api/models' }), ok: 200 },
  // Allowed, then refused for what the server has: no training data, no such model, nothing promoted.
  { route: 'POST /api/models/train', access: 'admin', request: () => ({ method: 'POST', url: '/api/models/train' }), ok: 409 },
  { route: 'POST /api/models/:id/promote', access: 'admin', request: () => ({ method: 'POST', url: '/api/models/20261201-00000000/promote', payload: {} }), ok: 404 },
  { route: 'POST /api/models/rollback', access: 'admin', request: () => ({ method: 'POST', url: '/api/models/rollback' }), ok: 409 },
];

const RANK = { public: -1, viewer: 0, analyst: 1, admin: 2 } as const;

function expectedStatus(access: (typeof ROUTES)[number]['access'], caller: Caller, ok: number): number {
  // A key that is sent must be good, whatever the route; a dead session cookie is only ignored.
  if (caller === 'wrong key' || caller === 'revoked key') return 401;
  if (access === 'public') return ok;
  if (caller === 'viewer' || caller === 'analyst' || caller === 'admin') return RANK[caller] >= RANK[access] ? ok : 403;
  return 401;
}

test('role × route: every API route answers each kind of caller as its role says', async (t) => {
  const f = await fixture();
  t.after(() => f.app.close());
  const failures: string[] = [];
  for (const { route, access, request, ok } of ROUTES) {
    for (const caller of CALLERS) {
      const options = await request(f, caller);
      const response = await f.app.inject({ ...options, headers: { ...(options.headers as Record<string, string>), ...(await credentials(f, caller)) } });
      const expected = expectedStatus(access, caller, ok);
      if (response.statusCode !== expected) failures.push(`${route} as ${caller}: ${response.statusCode}, expected ${expected} (${response.body.slice(0, 120)})`);
    }
  }
  assert.deepEqual(failures, []);
  // Every route of the API is in the matrix, and the OpenAPI document states each one's role.
  const document = (await f.app.inject('/docs/json')).json() as { paths: Record<string, Record<string, { description?: string }>> };
  const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, description: operation.description ?? '' })));
  const apiRoutes = documented.filter((entry) => entry.route.includes(' /api/'));
  assert.deepEqual(apiRoutes.map((entry) => entry.route).sort(), [...ROUTES.map((entry) => entry.route), 'POST /api/session'].sort());
  for (const entry of apiRoutes) {
    const access = ROUTES.find((candidate) => candidate.route === entry.route)?.access ?? 'public';
    assert.match(entry.description, access === 'public' ? /Access: anyone\./ : new RegExp(`Access: role \\*\\*${access}\\*\\* or above\\.`), entry.route);
  }
});

test('an analyst cannot delete the run of another; an admin can', async (t) => {
  const f = await fixture();
  t.after(() => f.app.close());
  const others = ownedRun(f.db, 'someone');
  const refused = await f.app.inject({ method: 'DELETE', url: `/api/runs/${others}`, headers: await credentials(f, 'analyst') });
  assert.equal(refused.statusCode, 403);
  assert.match(refused.json().error, /may delete its own runs, and run \d+ is someone's/);
  assert.equal((await f.app.inject({ method: 'DELETE', url: `/api/runs/${others}`, headers: await credentials(f, 'admin') })).statusCode, 204);
});

test('sign-in: a session cookie (HttpOnly, SameSite=Lax), CSRF on changes, sign-out ends it, failures audited', async (t) => {
  const f = await fixture();
  t.after(() => f.app.close());
  const wrong = await f.app.inject({ method: 'POST', url: '/api/session', payload: { name: 'analyst', password: 'not the password' } });
  assert.deepEqual([wrong.statusCode, wrong.json().error], [401, 'wrong user name or password']);
  assert.equal((await f.app.inject({ method: 'POST', url: '/api/session', payload: { name: 'nobody', password: PASSWORD } })).statusCode, 401);

  const signIn = await f.app.inject({ method: 'POST', url: '/api/session', payload: { name: 'analyst', password: PASSWORD } });
  assert.equal(signIn.statusCode, 200);
  const setCookie = String(signIn.headers['set-cookie']);
  assert.match(setCookie, /^fmc_session=[\w-]{43}; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/);
  assert.doesNotMatch(setCookie, /Secure/, 'plain HTTP: no Secure flag, or the browser would drop the cookie');
  const cookie = setCookie.split(';')[0] as string;
  const { csrfToken, user, role } = signIn.json();
  assert.deepEqual([user, role], ['analyst', 'analyst']);

  const me = (await f.app.inject({ url: '/api/session', headers: { cookie } })).json();
  assert.deepEqual([me.authenticated, me.user, me.via, me.csrfToken], [true, 'analyst', 'session', csrfToken]);
  assert.equal((await f.app.inject({ url: '/api/runs', headers: { cookie } })).statusCode, 200);
  // A change made with the cookie alone (what a forged cross-site form sends) is refused.
  const forged = await f.app.inject({ method: 'POST', url: '/api/classify', headers: { cookie }, payload: { tweets: [{ text: 'panne' }] } });
  assert.equal(forged.statusCode, 403);
  assert.match(forged.json().error, /x-csrf-token/);
  assert.equal((await f.app.inject({ method: 'POST', url: '/api/classify', headers: { cookie, 'x-csrf-token': 'wrong' }, payload: { tweets: [{ text: 'panne' }] } })).statusCode, 403);
  assert.equal((await f.app.inject({ method: 'POST', url: '/api/classify', headers: { cookie, 'x-csrf-token': csrfToken }, payload: { tweets: [{ text: 'panne' }] } })).statusCode, 200);

  // An admin can end another user's sessions.
  const other = (await f.app.inject({ method: 'POST', url: '/api/session', payload: { name: 'viewer', password: PASSWORD } })).headers['set-cookie'];
  const otherCookie = String(other).split(';')[0] as string;
  assert.equal((await f.app.inject({ url: '/api/runs', headers: { cookie: otherCookie } })).statusCode, 200);
  assert.deepEqual((await f.app.inject({ method: 'DELETE', url: '/api/users/viewer/sessions', headers: await credentials(f, 'admin') })).json(), { ended: 1 });
  assert.equal((await f.app.inject({ url: '/api/runs', headers: { cookie: otherCookie } })).statusCode, 401);

  // A role change applies to live sessions at once.
  await f.accounts.setRole('analyst', 'viewer');
  assert.equal((await f.app.inject({ method: 'POST', url: '/api/classify', headers: { cookie, 'x-csrf-token': csrfToken }, payload: { tweets: [{ text: 'panne' }] } })).statusCode, 403);

  const signOut = await f.app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie, 'x-csrf-token': csrfToken } });
  assert.equal(signOut.statusCode, 204);
  assert.match(String(signOut.headers['set-cookie']), /^fmc_session=; .*Expires=Thu, 01 Jan 1970/);
  assert.equal((await f.app.inject({ url: '/api/runs', headers: { cookie } })).statusCode, 401, 'the session is gone server-side');

  const actions = (await new AuditLog(sqliteSql(f.db)).list(undefined)).map((entry) => `${entry.actor} ${entry.action}${entry.target === undefined ? '' : ` ${entry.target}`}`);
  assert.deepEqual(actions.filter((line) => /signin|signout|sign-out/.test(line)), ['anonymous signin.failure analyst', 'anonymous signin.failure nobody', 'analyst signin', 'viewer signin', 'admin user.sign-out viewer', 'analyst signout']);
  assert.ok(actions.includes(`analyst run.upload run ${f.runId}`), actions.join('\n'));
});

test('sign-in attempts are rate-limited more tightly than the rest of the API, with Retry-After', async (t) => {
  const app = await server({ rateLimitPerMinute: 30 });
  t.after(() => app.close());
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await app.inject({ method: 'POST', url: '/api/session', payload: { name: 'x', password: 'y' } })).statusCode);
  assert.deepEqual(statuses, [401, 401, 401, 429]);
  const limited = await app.inject({ method: 'POST', url: '/api/session', payload: { name: 'x', password: 'y' } });
  assert.ok(Number(limited.headers['retry-after']) > 0);
  assert.equal((await app.inject('/api/runs')).statusCode, 200, 'other routes keep their own budget');
});

test('no credential in a URL: query keys refused; a ticket opens one path, once', async (t) => {
  const f = await fixture();
  t.after(() => f.app.close());
  for (const name of ['token', 'key', 'api_key', 'access_token']) {
    const response = await f.app.inject(`/api/runs?${name}=${f.keys.admin}`);
    assert.equal(response.statusCode, 400, name);
    assert.match(response.json().error, /credentials are not accepted in the URL/);
  }
  const exportPath = `/api/runs/${f.runId}/export`;
  const { ticket, expiresInSeconds } = (await f.app.inject({ method: 'POST', url: '/api/tickets', headers: await credentials(f, 'viewer'), payload: { path: exportPath } })).json();
  assert.equal(expiresInSeconds, 60);
  assert.equal((await f.app.inject(`/api/runs/${f.runId}/tweets?ticket=${ticket}`)).statusCode, 401, 'a ticket opens only its own path');
  const { ticket: second } = (await f.app.inject({ method: 'POST', url: '/api/tickets', headers: await credentials(f, 'viewer'), payload: { path: exportPath } })).json();
  const download = await f.app.inject(`${exportPath}?ticket=${second}&format=jsonl`);
  assert.equal(download.statusCode, 200);
  assert.equal(download.body.trim().split('\n').length, 2);
  assert.equal((await f.app.inject(`${exportPath}?ticket=${second}`)).statusCode, 401, 'used once');
});

test('keys and the legacy token are compared in constant time', async (t) => {
  const f = await fixture();
  const token = 'legacy-shared-token';
  const app = await server({ db: f.db, apiToken: token });
  t.after(async () => {
    await app.close();
    await f.app.close();
  });
  let calls = 0;
  const original = crypto.timingSafeEqual;
  t.mock.method(crypto, 'timingSafeEqual', (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls++;
    return original(a, b);
  });
  syncBuiltinESMExports();
  t.after(() => {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  });
  for (const [authorization, status] of [[`Bearer ${token}`, 200], [`Bearer ${f.keys.viewer}`, 200], ['Bearer legacy-shared-tokeN', 401]] as const) {
    calls = 0;
    assert.equal((await app.inject({ url: '/api/runs', headers: { authorization } })).statusCode, status);
    assert.ok(calls >= 1, `${authorization}: compared with timingSafeEqual`);
  }
});

test('/metrics behind --metrics-key when one is set', async (t) => {
  const app = await server({ metricsKey: 'metrics-key-0123456789' });
  t.after(() => app.close());
  assert.equal((await app.inject('/metrics')).statusCode, 401);
  assert.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-key-0123456789' } })).statusCode, 200);
  assert.equal((await app.inject('/healthz')).statusCode, 200);
});

test('fmc users / keys: a key printed once on the last line works until revoked; fmc audit shows who did what', async (t) => {
  const dataDir = tempDir();
  const env = { FMC_DATA_DIR: dataDir };
  const added = fmc(['users', 'add', 'carla', '--role', 'analyst', '--password-stdin'], `${PASSWORD}\n`, env);
  assert.equal(added.code, 0, added.stderr);
  assert.equal(fmc(['users', 'add', 'carla', '--role', 'viewer'], undefined, env).code, 2, 'a taken name is the user\'s mistake');
  assert.match(fmc(['users', 'add', 'short', '--role', 'viewer', '--password-stdin'], 'short\n', env).stderr, /at least 10 characters/);
  const created = fmc(['keys', 'create', '--user', 'carla', '--name', 'crm'], undefined, env);
  assert.equal(created.code, 0, created.stderr);
  const key = created.stdout.trim().split('\n').at(-1) as string;
  assert.match(key, /^fmc_[0-9a-f]{12}_[\w-]{43}$/);
  const listed = fmc(['keys', 'list', '--json'], undefined, env);
  // The secret is the key's last 43 characters (base64url: it may hold "_" itself).
  assert.ok(!listed.stdout.includes(key.slice(-43)), 'the secret is never shown again');
  const keyId = JSON.parse(listed.stdout.trim()).id as string;
  assert.match(fmc(['users', 'list'], undefined, env).stdout, /carla\s+analyst\s+local\s+yes/);

  const db = openDatabase(dataDir, () => undefined);
  const app = await server({ db, dataDir });
  t.after(() => app.close());
  assert.equal((await app.inject({ method: 'POST', url: '/api/classify', headers: { authorization: `Bearer ${key}` }, payload: { tweets: [{ text: 'panne' }] } })).statusCode, 200);
  assert.equal(fmc(['keys', 'revoke', keyId], undefined, env).code, 0);
  assert.equal((await app.inject({ url: '/api/runs', headers: { authorization: `Bearer ${key}` } })).statusCode, 401);
  assert.equal(fmc(['users', 'set-role', 'carla', 'admin'], undefined, env).code, 0);
  assert.match(fmc(['users', 'sign-out', 'carla'], undefined, env).stdout, /^ended 0 session\(s\) of carla/);
  assert.equal(fmc(['users', 'remove', 'carla'], undefined, env).code, 0);

  const audit = fmc(['audit', '--json', '--since', '1h'], undefined, env);
  const entries = audit.stdout.trim().split('\n').map((line) => JSON.parse(line) as { actor: string; action: string; target: string });
  assert.deepEqual(entries.map((entry) => entry.action), ['user.add', 'key.create', 'key.revoke', 'user.set-role', 'user.sign-out', 'user.remove']);
  assert.ok(entries.every((entry) => entry.actor.startsWith('cli:')));
  assert.match(fmc(['audit', '--since', 'yesterday-ish'], undefined, env).stderr, /give a date \(2026-12-01\) or an age/);
});

test('fmc serve refuses to listen beyond loopback with no user (exit 2); with a user it starts', async () => {
  const dataDir = tempDir();
  const refused = fmc(['serve', '--host', '0.0.0.0', '--port', '0'], undefined, { FMC_DATA_DIR: dataDir });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /refusing to listen on 0\.0\.0\.0 with no user and no token.*fmc users add NAME --role admin/);
  assert.equal(fmc(['users', 'add', 'root', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`, { FMC_DATA_DIR: dataDir }).code, 0);
  const { child, done } = fmcProcess(['serve', '--host', '0.0.0.0', '--port', '0', '--log-level', 'warn'], { FMC_DATA_DIR: dataDir });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /FreeMobilaChat on http:\/\/0\.0\.0\.0:(\d+)/.exec(stderr);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    });
    child.on('exit', () => reject(new Error(`serve stopped: ${stderr}`)));
  });
  assert.equal((await fetch(`${url}/api/runs`)).status, 401, 'not open: it asks who is there');
  child.kill('SIGTERM');
  assert.equal((await done).code, 0);
});

/** A self-signed certificate for 127.0.0.1, made with openssl. */
function selfSigned(): { cert: Buffer; key: Buffer } {
  const dir = tempDir();
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  assert.equal(made.status, 0, made.stderr?.toString());
  return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
}

function httpsRequest(url: string, ca: Buffer, init: { method?: string; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method: init.method ?? 'GET', ca, headers: init.body === undefined ? {} : { 'content-type': 'application/json' } }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

test('--tls-cert/--tls-key: HTTPS with HSTS and Secure cookies; --trust-proxy takes the protocol from the proxy', async (t) => {
  const tls = selfSigned();
  const dataDir = tempDir();
  const db = openDatabase(dataDir, () => undefined);
  await new AccountStore(sqliteSql(db)).addUser('ops', 'admin', PASSWORD);
  const app = await server({ db, dataDir, tls });
  t.after(() => app.close());
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  assert.match(address, /^https:\/\//);
  const health = await httpsRequest(`${address}/healthz`, tls.cert);
  assert.equal(health.status, 200);
  assert.equal(health.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  const signIn = await httpsRequest(`${address}/api/session`, tls.cert, { method: 'POST', body: JSON.stringify({ name: 'ops', password: PASSWORD }) });
  assert.equal(signIn.status, 200);
  assert.match(String(signIn.headers['set-cookie']), /; Secure/);

  const plain = await server({ db, dataDir, trustProxy: true });
  t.after(() => plain.close());
  assert.equal((await plain.inject('/healthz')).headers['strict-transport-security'], undefined, 'no HSTS from a plain-HTTP server');
  const proxied = await plain.inject({ method: 'POST', url: '/api/session', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' }, payload: { name: 'ops', password: PASSWORD } });
  assert.match(String(proxied.headers['set-cookie']), /; Secure/);
  assert.equal((await new AuditLog(sqliteSql(db)).list(undefined)).at(-1)?.ip, '203.0.113.7', 'the audit log has the client behind the proxy');
});
