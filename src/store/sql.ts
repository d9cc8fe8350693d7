/**
 * The few SQL calls shared code needs, on either database: the embedded
 * SQLite (answers at once) or PostgreSQL. Statements are written once with
 * `?` placeholders and portable SQL (`ON CONFLICT`, `RETURNING`, `EXISTS`).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import type { PgPool } from './postgres.js';

export interface Sql {
  all<T>(statement: string, parameters?: readonly unknown[]): Promise<T[]>;
  /** Returns the number of rows changed. */
  run(statement: string, parameters?: readonly unknown[]): Promise<number>;
}

export function sqliteSql(db: Db): Sql {
  const prepared = new Map<string, Statement<unknown[]>>();
  const statementOf = (statement: string) => {
    let found = prepared.get(statement);
    if (found === undefined) prepared.set(statement, (found = db.prepare<unknown[]>(statement)));
    return found;
  };
  return {
    all: async <T>(statement: string, parameters: readonly unknown[] = []) => statementOf(statement).all(...parameters) as T[],
    run: async (statement, parameters = []) => statementOf(statement).run(...parameters).changes,
  };
}

/** `?` → `$1`, `$2`…: the statements hold no `?` in literals. */
function numbered(statement: string): string {
  let next = 0;
  return statement.replace(/\?/g, () => `$${++next}`);
}

export function postgresSql(pool: PgPool): Sql {
  return {
    all: async <T>(statement: string, parameters: readonly unknown[] = []) => (await pool.query(numbered(statement), [...parameters])).rows as T[],
    run: async (statement, parameters = []) => (await pool.query(numbered(statement), [...parameters])).rowCount ?? 0,
  };
}
