/** Roles, each allowed what the one before it is, and more. */
export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a route needs: a role, or nothing (`public`: health, sign-in). */
export type Access = Role | 'public';

export function roleAllows(role: Role, needed: Access): boolean {
  return needed === 'public' || ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Who made a request: a user by a key or a session, the legacy token, or anyone on an open loopback server. */
export interface Principal {
  name: string;
  role: Role;
  via: 'key' | 'session' | 'token' | 'ticket' | 'open';
}
