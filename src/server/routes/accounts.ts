/** Sign-in sessions, tickets, and (admin) users, keys and the audit log over the API. */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES, type AccountStore, type AuditLog } from '../../auth/index.js';
import { SESSION_COOKIE, setSessionCookie, type Tickets } from '../auth.js';
import { ErrorBody } from './errors.js';

const User = z.object({ name: z.string(), role: z.enum(ROLES), source: z.enum(['local', 'oidc']), hasPassword: z.boolean(), createdAt: z.string() });
const Key = z.object({ id: z.string(), user: z.string(), name: z.string().optional(), createdAt: z.string(), lastUsedAt: z.string().optional(), revokedAt: z.string().optional() });
const SessionView = z.object({
  authenticated: z.boolean(),
  user: z.string().optional(),
  role: z.enum(ROLES).optional(),
  /** How the caller is known: key, session, token, ticket, or open (a loopback server with no account). */
  via: z.string().optional(),
  /** Send it back in the x-csrf-token header with every change made under this session. */
  csrfToken: z.string().optional(),
  /** Whether the sign-in page offers single sign-on (`GET /auth/oidc/login`). */
  singleSignOn: z.boolean(),
});

export interface AccountRoutesOptions {
  accounts: AccountStore;
  audit: AuditLog;
  tickets: Tickets;
  sessionLifetimeMs: number;
  signInLimitPerMinute: number;
  singleSignOn: boolean;
}

export const accountRoutes: FastifyPluginAsyncZod<AccountRoutesOptions> = async (app, options) => {
  const { accounts, audit, tickets } = options;
  const actor = (request: FastifyRequest) => request.principal?.name ?? 'anonymous';
  const admin = { access: 'admin' as const };

  app.get('/api/session', { config: { access: 'public' }, schema: { tags: ['session'], summary: 'who the caller is, and the CSRF token of its session', response: { 200: SessionView } } }, async (request) => {
    const principal = request.principal;
    if (principal === undefined) return { authenticated: false, singleSignOn: options.singleSignOn };
    return { authenticated: true, user: principal.name, role: principal.role, via: principal.via, csrfToken: request.csrfToken, singleSignOn: options.singleSignOn };
  });

  app.post(
    '/api/session',
    {
      config: { access: 'public', rateLimit: { max: options.signInLimitPerMinute, timeWindow: 60_000 } },
      schema: { tags: ['session'], summary: 'sign in with a name and password: sets the session cookie', body: z.object({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024) }), response: { 200: SessionView, 401: ErrorBody } },
    },
    async (request, reply) => {
      const user = await accounts.checkPassword(request.body.name, request.body.password);
      if (user === undefined) {
        await audit.record({ actor: 'anonymous', action: 'signin.failure', target: request.body.name, ip: request.ip });
        return reply.code(401).send({ statusCode: 401, error: 'wrong user name or password' });
      }
      const session = await accounts.createSession(user.name, options.sessionLifetimeMs);
      setSessionCookie(request, reply, session);
      await audit.record({ actor: user.name, action: 'signin', ip: request.ip, detail: 'password' });
      return { authenticated: true, user: user.name, role: user.role, via: 'session', csrfToken: session.csrfToken, singleSignOn: options.singleSignOn };
    },
  );

  app.delete('/api/session', { config: { access: 'viewer' }, schema: { tags: ['session'], summary: 'sign out: ends the session', response: { 204: z.null() } } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token !== undefined) await accounts.endSession(token);
    setSessionCookie(request, reply, undefined);
    await audit.record({ actor: actor(request), action: 'signout', ip: request.ip });
    return reply.code(204).send(null);
  });

  app.post(
    '/api/tickets',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['session'],
        summary: 'a single-use ticket, good for one minute, to open one GET path (an SSE stream, an export) with ?ticket= where no header can be sent',
        body: z.object({ path: z.string().regex(/^\/api\//, 'a path under /api/') }),
        response: { 200: z.object({ ticket: z.string(), expiresInSeconds: z.number() }) },
      },
    },
    async (request) => tickets.issue(request.principal as NonNullable<typeof request.principal>, request.body.path.split('?')[0] as string),
  );

  app.get('/api/users', { config: admin, schema: { tags: ['accounts'], summary: 'the users', response: { 200: z.object({ users: z.array(User) }) } } }, async () => ({ users: await accounts.users() }));

  app.post(
    '/api/users',
    { config: admin, schema: { tags: ['accounts'], summary: 'add a user', body: z.object({ name: z.string(), role: z.enum(ROLES), password: z.string().optional() }), response: { 201: User, 400: ErrorBody, 409: ErrorBody } } },
    async (request, reply) => {
      const user = await accounts.addUser(request.body.name, request.body.role, request.body.password);
      await audit.record({ actor: actor(request), action: 'user.add', target: user.name, ip: request.ip, detail: `role ${user.role}` });
      return reply.code(201).send(user);
    },
  );

  app.patch(
    '/api/users/:name',
    { config: admin, schema: { tags: ['accounts'], summary: "change a user's role", params: z.object({ name: z.string() }), body: z.object({ role: z.enum(ROLES) }), response: { 200: User, 404: ErrorBody } } },
    async (request) => {
      const user = await accounts.setRole(request.params.name, request.body.role);
      await audit.record({ actor: actor(request), action: 'user.set-role', target: user.name, ip: request.ip, detail: `role ${user.role}` });
      return user;
    },
  );

  app.delete('/api/users/:name', { config: admin, schema: { tags: ['accounts'], summary: 'remove a user with its keys and sessions', params: z.object({ name: z.string() }), response: { 204: z.null(), 404: ErrorBody } } }, async (request, reply) => {
    await accounts.removeUser(request.params.name);
    await audit.record({ actor: actor(request), action: 'user.remove', target: request.params.name, ip: request.ip });
    return reply.code(204).send(null);
  });

  app.delete(
    '/api/users/:name/sessions',
    { config: admin, schema: { tags: ['accounts'], summary: 'end every sign-in session of a user', params: z.object({ name: z.string() }), response: { 200: z.object({ ended: z.number() }), 404: ErrorBody } } },
    async (request) => {
      const ended = await accounts.endSessionsOf(request.params.name);
      await audit.record({ actor: actor(request), action: 'user.sign-out', target: request.params.name, ip: request.ip, detail: `${ended} session(s)` });
      return { ended };
    },
  );

  app.get('/api/keys', { config: admin, schema: { tags: ['accounts'], summary: 'API keys (never their secret)', querystring: z.object({ user: z.string().optional() }), response: { 200: z.object({ keys: z.array(Key) }) } } }, async (request) => ({
    keys: await accounts.keys(request.query.user),
  }));

  app.post(
    '/api/keys',
    { config: admin, schema: { tags: ['accounts'], summary: 'a new API key for a user: the key is in this answer only', body: z.object({ user: z.string(), name: z.string().optional() }), response: { 201: z.object({ id: z.string(), key: z.string() }), 404: ErrorBody } } },
    async (request, reply) => {
      const created = await accounts.createKey(request.body.user, request.body.name);
      await audit.record({ actor: actor(request), action: 'key.create', target: created.id, ip: request.ip, detail: `for ${request.body.user}` });
      return reply.code(201).send(created);
    },
  );

  app.delete('/api/keys/:id', { config: admin, schema: { tags: ['accounts'], summary: 'revoke an API key', params: z.object({ id: z.string() }), response: { 204: z.null(), 404: ErrorBody, 409: ErrorBody } } }, async (request, reply) => {
    const key = await accounts.revokeKey(request.params.id);
    await audit.record({ actor: actor(request), action: 'key.revoke', target: key.id, ip: request.ip, detail: `of ${key.user}` });
    return reply.code(204).send(null);
  });

  app.get(
    '/api/audit',
    {
      config: admin,
      schema: {
        tags: ['accounts'],
        summary: 'the audit log, oldest first',
        querystring: z.object({ since: z.iso.datetime({ offset: true }).optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1000) }),
        response: { 200: z.object({ entries: z.array(z.object({ at: z.string(), actor: z.string(), action: z.string(), target: z.string().optional(), ip: z.string().optional(), detail: z.string().optional() })) }) },
      },
    },
    async (request) => ({ entries: await options.audit.list(request.query.since === undefined ? undefined : new Date(request.query.since), request.query.limit) }),
  );
};
