/** The server's backends in the distributed mode: the cluster's PostgreSQL for runs, accounts and the audit log; BullMQ for the runs. */
import type { FastifyBaseLogger } from 'fastify';
import { AccountStore, AuditLog } from '../auth/index.js';
import type { ServerBackends } from '../server/backends.js';
import { SyncClassifier } from '../server/jobs.js';
import { connectPostgres, migratePostgres } from '../store/postgres.js';
import { postgresSql } from '../store/sql.js';
import { openChunkQueue } from './queue.js';
import { PgRunReader } from './reader.js';
import { ClusterRunQueue } from './run-queue.js';

/** Connects (a clear error naming an unreachable database), migrates under the lock, and opens the queue. */
export async function clusterBackends(
  cluster: { databaseUrl: string; redisUrl: string },
  settings: { modelPath: string | undefined; llm: { budget: number; minSample: number } },
  log: FastifyBaseLogger,
): Promise<ServerBackends> {
  const pool = await connectPostgres(cluster.databaseUrl);
  await migratePostgres(pool);
  const queue = openChunkQueue(cluster);
  const sql = postgresSql(pool);
  return {
    runs: new PgRunReader(pool),
    accounts: new AccountStore(sql),
    audit: new AuditLog(sql),
    queue: new ClusterRunQueue(pool, queue, cluster, new SyncClassifier(() => settings.modelPath), settings.llm, log),
    ready: async () => {
      await pool.query('SELECT 1');
      // A round trip to Redis.
      await queue.getJobCounts('wait');
    },
  };
}
