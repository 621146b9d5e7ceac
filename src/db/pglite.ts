/**
 * Embedded PGlite for the demo when no PostgreSQL is reachable: open, migrate, and a Prisma
 * client on it. Loaded on demand so other processes never pay for PGlite.
 */
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { PrismaClient } from '../generated/prisma/client.js';
import { prismaClient } from './sql.js';
import { applyMigrationsPglite } from './migrate.js';

/** Opens (creating if needed) an embedded PGlite database in `dataDir`; it takes a few seconds. */
export async function openPglite(dataDir: string): Promise<PGlite> {
  const db = new PGlite(dataDir);
  await db.waitReady;
  return db;
}

/**
 * Creates a Prisma client on embedded PGlite: a data directory or an open instance, which the
 * client then owns (`$disconnect` closes it). Migrate it first with applyMigrationsPglite.
 */
export function createPrismaPglite(db: PGlite | string): PrismaClient {
  const pglite = typeof db === 'string' ? new PGlite(db) : db;
  const factory = new PrismaPGlite(pglite);
  return prismaClient({
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      // The adapter's own dispose leaves PGlite open (and its files unflushed).
      adapter.dispose = async () => {
        if (!pglite.closed) await pglite.close();
      };
      return adapter;
    },
  });
}

/** Opens the demo's PGlite in `dataDir`, applies the migrations, and returns a client on it. */
export async function preparePglite(dataDir: string, log: (line: string) => void): Promise<PrismaClient> {
  const db = await openPglite(dataDir);
  await applyMigrationsPglite(db, { log });
  return createPrismaPglite(db);
}
