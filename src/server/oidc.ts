/**
 * Single sign-on with OpenID Connect (authorization code + PKCE, through
 * `openid-client`): /auth/oidc/login sends the browser to the provider,
 * /auth/oidc/callback signs it in with a session like the password form's.
 * The role comes from a claim (of the ID token, else of userinfo); a user with no valid role is refused.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import { AccountError, ROLES, type AccountStore, type AuditLog, type Role } from '../auth/index.js';
import { isLoopback, setSessionCookie } from './auth.js';

export interface OidcSettings {
  /** The provider's issuer URL (its /.well-known/openid-configuration is read at the first sign-in). */
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  /** This server's callback as registered with the provider (default: from the request, …/auth/oidc/callback). */
  redirectUrl: string | undefined;
  /** The ID token claim holding the role (a string, or a list whose highest role wins). */
  roleClaim: string;
  /** The role of a user whose claim names none; none given: such users are refused. */
  defaultRole: Role | undefined;
}

export interface OidcRoutesOptions {
  settings: OidcSettings;
  accounts: AccountStore;
  audit: AuditLog;
  sessionLifetimeMs: number;
}

const PENDING_COOKIE = 'fmc_oidc';
const PENDING_LIFETIME_MS = 10 * 60_000;

/** The highest role a claim names: `analyst`, or `["viewer", "admin"]`. */
export function roleFromClaim(claim: unknown): Role | undefined {
  const values = (Array.isArray(claim) ? claim : [claim]).filter((value): value is string => typeof value === 'string');
  return [...ROLES].reverse().find((role) => values.includes(role));
}

export const oidcRoutes: FastifyPluginAsync<OidcRoutesOptions> = async (app, { settings, accounts, audit, sessionLifetimeMs }) => {
  let configuration: Promise<oidc.Configuration> | undefined;
  /** Discovered once, at the first sign-in (the server starts even when the provider is down); a failure is retried next time. */
  const provider = (): Promise<oidc.Configuration> => {
    const issuer = new URL(settings.issuer);
    // Plain HTTP only for a provider on this machine (a test or a local proxy); anything else must speak TLS.
    const options = issuer.protocol === 'http:' && isLoopback(issuer.hostname) ? { execute: [oidc.allowInsecureRequests] } : undefined;
    configuration ??= oidc.discovery(issuer, settings.clientId, settings.clientSecret, undefined, options).catch((error: unknown) => {
      configuration = undefined;
      throw error;
    });
    return configuration;
  };
  const callbackUrl = (request: FastifyRequest) => settings.redirectUrl ?? `${request.protocol}://${request.host}/auth/oidc/callback`;
  const fail = (reply: FastifyReply, status: number, message: string) => reply.code(status).type('text/plain; charset=utf-8').send(`Sign-in failed: ${message}\n`);

  app.get('/auth/oidc/login', { schema: { tags: ['session'], summary: 'single sign-on: redirects to the OpenID Connect provider' } }, async (request, reply) => {
    let config: oidc.Configuration;
    try {
      config = await provider();
    } catch (error) {
      request.log.error({ err: error }, 'OpenID Connect discovery failed');
      return fail(reply, 502, `the identity provider ${settings.issuer} does not answer`);
    }
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    // The login begun is kept in the browser, not in this replica: any replica can take the callback, and only the browser that began can finish.
    reply.setCookie(PENDING_COOKIE, `${state}.${verifier}.${Date.now() + PENDING_LIFETIME_MS}`, { path: '/auth/oidc', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', maxAge: PENDING_LIFETIME_MS / 1000 });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: callbackUrl(request),
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    return reply.redirect(url.href);
  });

  app.get('/auth/oidc/callback', { schema: { tags: ['session'], summary: 'single sign-on: where the provider sends the browser back' } }, async (request, reply) => {
    const current = new URL(request.url, callbackUrl(request));
    const state = current.searchParams.get('state') ?? '';
    const [begunState, verifier, expires] = (request.cookies[PENDING_COOKIE] ?? '').split('.');
    reply.clearCookie(PENDING_COOKIE, { path: '/auth/oidc' });
    if (state === '' || begunState !== state || verifier === undefined || Number(expires) < Date.now()) return fail(reply, 400, 'this sign-in was not started here, or is too old: start again from the sign-in page');
    let claims: Record<string, unknown>;
    try {
      const config = await provider();
      const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: verifier, expectedState: state });
      const idToken = tokens.claims();
      if (idToken === undefined) return fail(reply, 401, 'the identity provider returned no ID token');
      // Many providers put profile claims (and roles) in the userinfo answer rather than the ID token.
      claims = idToken[settings.roleClaim] === undefined ? { ...(await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub)), ...idToken } : idToken;
    } catch (error) {
      request.log.warn({ err: error }, 'OpenID Connect code exchange failed');
      return fail(reply, 401, `the identity provider refused the sign-in (${error instanceof Error ? error.message : String(error)})`);
    }
    const name = String(claims.preferred_username ?? claims.email ?? claims.sub);
    const role = roleFromClaim(claims[settings.roleClaim]) ?? settings.defaultRole;
    if (role === undefined) {
      await audit.record({ actor: 'anonymous', action: 'signin.failure', target: name, ip: request.ip, detail: `single sign-on: no role in claim ${settings.roleClaim}` });
      return fail(reply, 403, `${name} has no FreeMobilaChat role: the identity provider must send one of ${ROLES.join(', ')} in the "${settings.roleClaim}" claim`);
    }
    try {
      await accounts.upsertExternalUser(name, role);
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      await audit.record({ actor: 'anonymous', action: 'signin.failure', target: name, ip: request.ip, detail: `single sign-on: ${error.message}` });
      return fail(reply, 409, error.message);
    }
    setSessionCookie(request, reply, await accounts.createSession(name, sessionLifetimeMs));
    await audit.record({ actor: name, action: 'signin', ip: request.ip, detail: `single sign-on, role ${role}` });
    return reply.redirect('/');
  });
};
