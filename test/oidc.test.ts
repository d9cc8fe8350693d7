/// <reference lib="dom" />
/**
 * Single sign-on against a real OpenID Connect provider (`oidc-provider`)
 * started here, driven in Debian's Chromium: the page's SSO button, the
 * provider's login and consent, back with a session whose role is the claim's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { chromium } from 'playwright-core';
import { AccountStore, AuditLog } from '../src/auth/index.js';
import { roleFromClaim } from '../src/server/oidc.js';
import { sqliteSql } from '../src/store/sql.js';
import { openDatabase } from '../src/store/index.js';
import { tempDir } from './helpers.js';
import { server } from './http.js';

/** Each person the provider knows, and the role claim it sends. */
const PEOPLE: Record<string, unknown> = { lea: 'analyst', max: ['viewer', 'admin'], noa: undefined };

test('roles from a claim: a name, or the highest of a list; nothing else', () => {
  assert.equal(roleFromClaim('analyst'), 'analyst');
  assert.equal(roleFromClaim(['viewer', 'admin', 'other']), 'admin');
  assert.equal(roleFromClaim('superuser'), undefined);
  assert.equal(roleFromClaim(undefined), undefined);
});

test('OpenID Connect sign-in (code + PKCE): the role comes from the claim, a user without one is refused', async (t) => {
  // The provider listens first, so its issuer URL is known to the app; it is configured once the app's callback is.
  let handle: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.end();
  const providerServer = createServer((request, response) => handle(request, response));
  await new Promise<void>((resolve) => providerServer.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(providerServer.address() as AddressInfo).port}`;

  const dataDir = tempDir();
  const db = openDatabase(dataDir, () => undefined);
  const accounts = new AccountStore(sqliteSql(db));
  await accounts.addUser('local-admin', 'admin', 'a long enough password');
  const app = await server({ db, dataDir, oidc: { issuer, clientId: 'fmc', clientSecret: 'client-secret-for-tests', redirectUrl: undefined, roleClaim: 'fmc_role', defaultRole: undefined } });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });

  const provider = new Provider(issuer, {
    clients: [{ client_id: 'fmc', client_secret: 'client-secret-for-tests', redirect_uris: [`${address}/auth/oidc/callback`], response_types: ['code'], grant_types: ['authorization_code'] }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], profile: ['preferred_username', 'fmc_role'] },
    findAccount: async (_context, id) => ({ accountId: id, claims: async () => ({ sub: id, preferred_username: id, ...(PEOPLE[id] === undefined ? {} : { fmc_role: PEOPLE[id] }) }) }),
  });
  handle = provider.callback();

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  t.after(async () => {
    await browser.close();
    await app.close();
    providerServer.closeAllConnections();
    await new Promise((resolve) => providerServer.close(resolve));
  });

  async function signInAs(login: string) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(address);
    await page.click('[data-testid=sign-in-sso]');
    // oidc-provider's development login and consent pages.
    await page.waitForURL(new RegExp(`^${issuer}/interaction/`));
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'anything');
    await page.click('button[type=submit]');
    if (page.url().startsWith(issuer)) await page.click('button[type=submit]');
    await page.waitForURL((url) => url.href.startsWith(address), { timeout: 10_000 });
    return { page, context };
  }

  const lea = await signInAs('lea');
  await lea.page.waitForSelector('[data-testid=account]');
  assert.equal(await lea.page.textContent('[data-testid=account]'), 'lea (analyst) · se déconnecter');
  const session = await lea.page.evaluate(async () => (await fetch('/api/session')).json());
  assert.deepEqual([session.user, session.role, session.via], ['lea', 'analyst', 'session']);
  const cookies = await lea.context.cookies(address);
  assert.ok(cookies.some((cookie) => cookie.name === 'fmc_session' && cookie.httpOnly && cookie.sameSite === 'Lax'));
  await lea.context.close();

  const max = await signInAs('max');
  await max.page.waitForSelector('[data-testid=account]');
  assert.equal(await max.page.textContent('[data-testid=account]'), 'max (admin) · se déconnecter');
  await max.context.close();

  const noa = await signInAs('noa');
  assert.match((await noa.page.textContent('body')) ?? '', /noa has no FreeMobilaChat role: the identity provider must send one of viewer, analyst, admin in the "fmc_role" claim/);
  await noa.context.close();

  assert.deepEqual((await accounts.users()).map((user) => [user.name, user.role, user.source]), [['lea', 'analyst', 'oidc'], ['local-admin', 'admin', 'local'], ['max', 'admin', 'oidc']]);
  const trail = (await new AuditLog(sqliteSql(db)).list(undefined)).map((entry) => `${entry.actor} ${entry.action} ${entry.detail ?? ''}`.trim());
  assert.deepEqual(trail, ['lea signin single sign-on, role analyst', 'max signin single sign-on, role admin', 'anonymous signin.failure single sign-on: no role in claim fmc_role']);

  // A callback this browser did not start is refused.
  const forged = await app.inject('/auth/oidc/callback?code=stolen&state=unknown');
  assert.equal(forged.statusCode, 400);
});
