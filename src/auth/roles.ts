/** Roles, each allowed what the one before it is, and more. */
export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a route needs: a role, or nothing (`public`: health, sign-in). */
export type Access = Role | 'public';

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: 'reads runs, tweets, dashboards and exports',
  analyst: 'also uploads, runs, classifies and cancels its own runs',
  admin: 'also deletes any run and manages users, keys and the audit log',
};

export function roleAllows(role: Role, needed: Access): boolean {
  return needed === 'public' || ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Who made a request: a user by a key or a session, the legacy token, or anyone on an open loopback server. */
export interface Principal {
  name: string;
  role: Role;
  via: 'key' | 'session' | 'token' | 'ticket' | 'open';
}
