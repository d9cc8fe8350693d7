/** The audit log: who did what, when, from where. Sign-ins and failures, uploads, exports, deletions, account changes. */
import type { Sql } from '../store/sql.js';

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
  constructor(private readonly sql: Sql) {}

  async record(entry: Omit<AuditEntry, 'at' | 'target' | 'ip' | 'detail'> & Partial<Pick<AuditEntry, 'target' | 'ip' | 'detail'>>): Promise<void> {
    await this.sql.run('INSERT INTO audit (at, actor, action, target, ip, detail) VALUES (?, ?, ?, ?, ?, ?)', [new Date().toISOString(), entry.actor, entry.action, entry.target ?? null, entry.ip ?? null, entry.detail ?? null]);
  }

  /** Oldest first, from `since` on (the last `limit` entries). */
  async list(since: Date | undefined, limit = 1000): Promise<AuditEntry[]> {
    const rows = await this.sql.all<{ at: string; actor: string; action: string; target: string | null; ip: string | null; detail: string | null }>(
      'SELECT * FROM (SELECT * FROM audit WHERE at >= ? ORDER BY id DESC LIMIT ?) AS latest ORDER BY at, id',
      [(since ?? new Date(0)).toISOString(), limit],
    );
    return rows.map((row) => ({ at: row.at, actor: row.actor, action: row.action, target: row.target ?? undefined, ip: row.ip ?? undefined, detail: row.detail ?? undefined }));
  }
}
