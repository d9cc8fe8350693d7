/** Accounts and access: users, roles, API keys, sessions, the audit log, and the secrets behind them. */
export { AccountError, AccountStore, type ApiKeyInfo, type Session, type User } from './accounts.js';
export { AuditLog, type AuditEntry } from './audit.js';
export { roleAllows, ROLES, type Access, type Principal, type Role } from './roles.js';
export { randomToken, secretsEqual } from './secrets.js';
