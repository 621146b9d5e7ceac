/**
 * The Prisma client factory on PostgreSQL (the demo's embedded PGlite is in `pglite.ts`, loaded
 * only when needed). Nothing here is global: callers pass the client (or a transaction client)
 * to the domain functions that need it.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';

/** The generated Prisma client class (and type), re-exported so callers need not reach into src/generated. */
export { PrismaClient };

/** The client inside `prisma.$transaction(async (tx) => …)`: every model, no connection control. */
export type Tx = Prisma.TransactionClient;

/**
 * Creates a Prisma client on its own `pg` pool of at most `max` connections (pg's default: 10).
 * Errors are in the `minimal` format: the default captures a stack trace at every query to
 * point at the calling line, some 3 % of a command's CPU (docs/performance.md).
 */
export function createPrisma(databaseUrl: string, opts: { max?: number } = {}): PrismaClient {
  const pool = opts.max === undefined ? { connectionString: databaseUrl } : { connectionString: databaseUrl, max: opts.max };
  return new PrismaClient({ adapter: new PrismaPg(pool), errorFormat: 'minimal' });
}
