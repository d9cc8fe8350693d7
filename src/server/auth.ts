/**
 * Who is asking, and may they: every /api request is authenticated (API key,
 * the legacy token, a session cookie, or a single-use ticket) and checked
 * against the role its route declares (`config.access`; admin when a route
 * forgets). Requests a page makes with its cookie must carry the session's
 * CSRF token. No credential is read from a query string.
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { roleAllows, secretsEqual, type AccountStore, type Access, type Principal, type Session } from '../auth/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a route needs (`public`: none). */
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    /** The CSRF token of the session the request came with, if it came with one. */
    csrfToken: string | undefined;
  }
}

export const SESSION_COOKIE = 'fmc_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Query parameters that look like credentials: refused, so that none ends up in a proxy log or a browser history. */
const CREDENTIAL_PARAMETERS = ['token', 'key', 'api_key', 'apikey', 'access_token', 'password'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const TICKET_LIFETIME_MS = 60_000;

export interface AuthSettings {
  accounts: AccountStore;
  /** The old `--token`: one admin key. */
  legacyToken: string | undefined;
}

class AuthError extends Error {
  constructor(readonly statusCode: 401 | 403 | 400, message: string) {
    super(message);
  }
}

/**
 * Tickets let a client that holds a key open a link a browser cannot send a
 * header with (an SSE stream, a download): bound to one path, good once, for
 * a minute. They are kept in the accounts' database, so any replica takes them.
 */
export class Tickets {
  constructor(private readonly accounts: AccountStore) {}

  async issue(principal: Principal, path: string): Promise<{ ticket: string; expiresInSeconds: number }> {
    const ticket = await this.accounts.issueTicket(JSON.stringify({ ...principal, via: 'ticket' } satisfies Principal), path, TICKET_LIFETIME_MS);
    return { ticket, expiresInSeconds: TICKET_LIFETIME_MS / 1000 };
  }

  async take(ticket: string, path: string): Promise<Principal | undefined> {
    const holder = await this.accounts.takeTicket(ticket, path);
    return holder === undefined ? undefined : (JSON.parse(holder) as Principal);
  }
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: Session | undefined): void {
  const options = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: request.protocol === 'https' };
  if (session === undefined) reply.clearCookie(SESSION_COOKIE, options);
  else reply.setCookie(SESSION_COOKIE, session.token, { ...options, expires: new Date(session.expiresAt) });
}

/** Adds the authentication hook to every /api route; `tickets` serves the ticket route. */
export function installAuth(app: FastifyInstance, settings: AuthSettings, tickets: Tickets): void {
  const { accounts, legacyToken } = settings;
  app.decorateRequest('principal', undefined);
  app.decorateRequest('csrfToken', undefined);

  async function authenticate(request: FastifyRequest, path: string, query: URLSearchParams): Promise<{ principal: Principal | undefined; csrfToken?: string }> {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (match === null) throw new AuthError(401, 'the Authorization header must read "Bearer KEY"');
      const key = match[1] as string;
      if (legacyToken !== undefined && secretsEqual(key, legacyToken)) return { principal: { name: 'token', role: 'admin', via: 'token' } };
      const principal = await accounts.principalOfKey(key);
      if (principal === undefined) throw new AuthError(401, 'unknown or revoked API key');
      return { principal };
    }
    const cookie = request.cookies[SESSION_COOKIE];
    const session = cookie === undefined ? undefined : await accounts.session(cookie);
    if (session !== undefined) return { principal: session.principal, csrfToken: session.csrfToken };
    const ticket = query.get('ticket');
    if (ticket !== null) {
      const principal = request.method === 'GET' ? await tickets.take(ticket, path) : undefined;
      if (principal === undefined) throw new AuthError(401, 'this ticket is unknown, used already, expired, or for another path: ask POST /api/tickets for a new one');
      return { principal };
    }
    // No account and no token: the server is open, which `serve` allows on loopback only.
    if (legacyToken === undefined && !(await accounts.hasUsers())) return { principal: { name: 'local', role: 'admin', via: 'open' } };
    return { principal: undefined };
  }

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const url = new URL(request.url, 'http://local');
    try {
      const named = CREDENTIAL_PARAMETERS.find((name) => url.searchParams.has(name));
      if (named !== undefined) throw new AuthError(400, `credentials are not accepted in the URL (?${named}=): send Authorization: Bearer KEY, sign in, or use a ticket from POST /api/tickets`);
      const { principal, csrfToken } = await authenticate(request, url.pathname, url.searchParams);
      const access = request.routeOptions.config.access ?? 'admin';
      request.principal = principal;
      request.csrfToken = csrfToken;
      if (principal !== undefined) request.log = reply.log = request.log.child({ user: principal.name });
      if (access === 'public') return;
      if (principal === undefined) throw new AuthError(401, 'sign in, or send Authorization: Bearer KEY');
      if (!roleAllows(principal.role, access)) throw new AuthError(403, `${principal.name} is ${principal.role}: this needs ${access}`);
      if (csrfToken !== undefined && !SAFE_METHODS.has(request.method) && !secretsEqual(String(request.headers[CSRF_HEADER] ?? ''), csrfToken)) {
        throw new AuthError(403, `missing or wrong ${CSRF_HEADER} header: a page's changes must carry its session's CSRF token`);
      }
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return reply.code(error.statusCode).send({ statusCode: error.statusCode, error: error.message });
    }
  });
}

/** Whether an address (to listen on, or of a provider) stays on this machine. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/** Where routes write the OpenAPI document's line on access. */
export function describeAccess(access: Access): string {
  return access === 'public' ? 'Access: anyone.' : `Access: role **${access}** or above.`;
}
