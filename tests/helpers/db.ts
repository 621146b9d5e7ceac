/**
 * A PostgreSQL database per test file, copied from the migrated template that
 * tests/global-setup.ts builds once per run (a copy takes milliseconds; migrating takes longer).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPrisma, type PrismaClient } from '../../src/db/client.js';
import { quoteIdent, runOnce, withDatabase } from '../../src/db/engine-adapters.js';

/** The migrated database every test database of this run is copied from (made by global-setup.ts). */
function templateName(): string {
  return inject('pgTemplate');
}

/** Any database on the test server (TEST_DATABASE_URL, or the local PostgreSQL). */
export const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A test database; call `drop()` in `afterAll`. */
export interface TestDatabase {
  url: string;
  prisma: PrismaClient;
  drop(): Promise<void>;
}

/** A unique database name for `label`, within PostgreSQL's 63-byte limit. */
export function uniqueDatabaseName(label: string): string {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
  return `pilote_t_${slug}_${randomBytes(4).toString('hex')}`;
}

/** Makes a new migrated database for one test file, with a Prisma client on it. */
export async function testDatabase(label: string): Promise<TestDatabase> {
  const name = uniqueDatabaseName(label);
  await createFromTemplate(name);
  const url = withDatabase(SERVER_URL, name);
  const prisma = createPrisma(url, { max: 5 });
  return {
    url,
    prisma,
    drop: async () => {
      await prisma.$disconnect();
      await dropDatabase(name);
    },
  };
}

/** Drops a database, closing its sessions first. */
export async function dropDatabase(name: string): Promise<void> {
  await runOnce(SERVER_URL, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}

async function createFromTemplate(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runOnce(SERVER_URL, `CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(templateName())}`);
      return;
    } catch (e) {
      // 55006: a session (autovacuum, another copy starting) is on the template for a moment.
      if ((e as { code?: string }).code !== '55006' || attempt === 5) throw e;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/**
 * Counts the SQL statements containing `fragment` that any `pg` client of this process sends
 * while `fn` runs (Prisma's adapter included); returns `fn`'s result and the count.
 */
export async function countStatements<T>(fragment: string, fn: () => Promise<T>): Promise<{ result: T; count: number }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  let count = 0;
  proto.query = function (this: pg.Client, ...args: unknown[]) {
    const sql = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
    if (sql?.includes(fragment)) count++;
    return query.apply(this, args);
  };
  try {
    return { result: await fn(), count };
  } finally {
    proto.query = query;
  }
}
