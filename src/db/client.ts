/**
 * The Prisma client factory on PostgreSQL (the demo's embedded PGlite is in `pglite.ts`, loaded
 * only when needed). Nothing here is global: callers pass the client (or a transaction client)
 * to the domain functions that need it.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';
import { prismaClient } from './sql.js';

/** The generated Prisma client class (and type), re-exported so callers need not reach into src/generated. */
export { PrismaClient };

/**
 * The client inside `transaction(prisma, async (db) => …)` (src/db/sql.ts): every model, no
 * connection control. Raw SQL goes through `queryRaw` and `executeRaw` of src/db/sql.ts, and a
 * transaction is not nested in another: Prisma's own ways to do either are left out.
 */
export type Tx = Omit<Prisma.TransactionClient, '$transaction' | '$queryRaw' | '$executeRaw' | '$queryRawUnsafe' | '$executeRawUnsafe'>;

/**
 * Creates a Prisma client on its own `pg` pool of at most `max` connections (pg's default: 10),
 * whose raw SQL goes straight to the adapter (src/db/sql.ts).
 * Statements are prepared once per connection unless `prepared` is false (see
 * {@link statementNames}). Errors are in the `minimal` format: the default captures a stack
 * trace at every query to point at the calling line, some 3 % of a command's CPU
 * (docs/performance.md).
 */
export function createPrisma(databaseUrl: string, opts: { max?: number; prepared?: boolean } = {}): PrismaClient {
  const pool = opts.max === undefined ? { connectionString: databaseUrl } : { connectionString: databaseUrl, max: opts.max };
  const adapter = new PrismaPg(pool, opts.prepared === false ? {} : { statementNameGenerator: statementNames() });
  return prismaClient(adapter, { errorFormat: 'minimal' });
}

/** Most statement shapes one client names (and so prepares once per connection). */
export const NAMED_STATEMENTS = 200;

/**
 * Prisma writes a list of values as one placeholder each (`IN ($1,$2,$3)`, the rows of
 * `createMany`), so each length of a list is a shape of its own.
 */
const VALUE_LIST = /\(\s*\$\d+\s*,|\)\s*,\s*\(\s*\$\d+/;

/**
 * Names SQL statements so that `pg` prepares each shape once per connection and afterwards
 * only binds and executes it: PostgreSQL neither parses nor plans it again, which took a third
 * of its CPU per command (docs/performance.md). Statements with a list of values are left
 * unnamed (a batch of 1 to 64 reminders would otherwise take 64 names), and so is every shape
 * after the first {@link NAMED_STATEMENTS} a client meets, so that the prepared statements of a
 * connection cannot grow without end.
 */
function statementNames(): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined && names.size < NAMED_STATEMENTS && !VALUE_LIST.test(sql)) names.set(sql, (name = `pilote_${names.size + 1}`));
    // Unnamed (undefined) is what pg does without a generator.
    return name as string;
  };
}
