/** The audit log: who did what, when, from where. Sign-ins and failures, uploads, exports, deletions, account changes. */
import type { Db } from '../store/index.js';

export interface AuditEntry {
  at: string;
  /** A user name; `cli:<system user>` for the command line; `anonymous` for a failed sign-in's unknown caller. */
  actor: string;
  action: string;
  target: string | undefined;
  ip: string | undefined;
  detail: string | undefined;
}

export class AuditLog {
  constructor(private readonly db: Db) {}

  record(entry: Omit<AuditEntry, 'at' | 'target' | 'ip' | 'detail'> & Partial<Pick<AuditEntry, 'target' | 'ip' | 'detail'>>): void {
    this.db.prepare('INSERT INTO audit (at, actor, action, target, ip, detail) VALUES (?, ?, ?, ?, ?, ?)').run(new Date().toISOString(), entry.actor, entry.action, entry.target ?? null, entry.ip ?? null, entry.detail ?? null);
  }

  /** Oldest first, from `since` on. */
  list(since: Date | undefined, limit = 1000): AuditEntry[] {
    return this.db
      .prepare<[string, number], { at: string; actor: string; action: string; target: string | null; ip: string | null; detail: string | null }>('SELECT * FROM (SELECT * FROM audit WHERE at >= ? ORDER BY id DESC LIMIT ?) ORDER BY at, id')
      .all((since ?? new Date(0)).toISOString(), limit)
      .map((row) => ({ at: row.at, actor: row.actor, action: row.action, target: row.target ?? undefined, ip: row.ip ?? undefined, detail: row.detail ?? undefined }));
  }
}
