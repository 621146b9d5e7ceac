/**
 * The driver adapters the schema engine (engine.ts) runs on, PostgreSQL through adapter-pg and
 * embedded PGlite through pglite-prisma-adapter, each with what it lacks for migrations; and
 * the small PostgreSQL helpers migrations need (URLs, one-off statements).
 */
import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { DriverAdapterError, type SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import pg from 'pg';
import type { MigrationAdapterFactory } from './engine.js';

/**
 * PrismaPg for the schema engine, with three fixes for adapter-pg 7.10: catalog types it cannot
 * decode are reported as text, scripts run whole (it splits them on every `;`, even inside
 * strings and `$$` bodies), and shadow databases are dropped after their pool is closed.
 */
export function pgMigrationFactory(databaseUrl: string): MigrationAdapterFactory {
  const open = new Set<SqlDriverAdapter>();
  const connectTo = async (url: string, afterDispose?: () => Promise<void>): Promise<SqlDriverAdapter> => {
    const pool = new pg.Pool({ connectionString: url, Client: CatalogTextClient });
    const inner = await new PrismaPg(pool, { disposeExternalPool: true }).connect();
    const adapter = replacing(inner, {
      executeScript: (script) => pool.query(script).then(() => undefined, rethrowForEngine),
      dispose: async () => {
        if (!open.delete(adapter)) return;
        await inner.dispose();
        await afterDispose?.();
      },
    });
    open.add(adapter);
    return adapter;
  };
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connectTo(databaseUrl),
    connectToShadowDb: async () => {
      const name = `prisma_migrate_shadow_db_${randomUUID()}`;
      await runOnce(databaseUrl, `CREATE DATABASE ${quoteIdent(name)}`);
      return connectTo(withDatabase(databaseUrl, name), async () => {
        await runOnce(databaseUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      });
    },
    close: async () => {
      for (const adapter of [...open]) await adapter.dispose();
    },
  };
}

/**
 * pglite-prisma-adapter 0.7.2 for the schema engine, on an open PGlite that the caller closes.
 * Its executeScript does not wait for the script, so a failing migration would be recorded as
 * applied (and its error crash the process): scripts run here instead. It has no shadow
 * database: migrations are made against PostgreSQL.
 */
export function pgliteMigrationFactory(db: PGlite): MigrationAdapterFactory {
  const factory = new PrismaPGlite(db);
  return {
    provider: 'postgres',
    adapterName: factory.adapterName,
    connect: async () =>
      replacing(await factory.connect(), {
        executeScript: (script) => db.exec(script).then(() => undefined, rethrowForEngine),
        dispose: async () => {},
      }),
    connectToShadowDb: () => Promise.reject(new Error('PGlite has no shadow database: create migrations against PostgreSQL')),
    close: async () => {},
  };
}

/** `inner` with its script runner and dispose replaced. */
function replacing(inner: SqlDriverAdapter, parts: Pick<SqlDriverAdapter, 'executeScript' | 'dispose'>): SqlDriverAdapter {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    queryRaw: (query) => inner.queryRaw(query),
    executeRaw: (query) => inner.executeRaw(query),
    startTransaction: (level) => inner.startTransaction(level),
    getConnectionInfo: inner.getConnectionInfo?.bind(inner),
    ...parts,
  };
}

/** Hands a PostgreSQL error to the engine as a database error (with its code), not a JS one. */
function rethrowForEngine(e: unknown): never {
  const d = e as { code?: unknown; severity?: unknown; message?: unknown; detail?: string; column?: string; hint?: string };
  if (typeof d?.code !== 'string' || typeof d.severity !== 'string') throw e;
  const { code, severity, detail, column, hint } = d as { code: string; severity: string } & typeof d;
  throw new DriverAdapterError({ kind: 'postgres', code, severity, message: String(d.message), detail, column, hint });
}

/** The engine reads `"char"` (OID 18) and `name` (OID 19) catalog columns; both are text. */
const CATALOG_TEXT_OIDS = new Set([18, 19]);
const TEXT_OID = 25;

function textifyCatalogColumns<R>(result: R): R {
  for (const set of Array.isArray(result) ? result : [result]) {
    for (const field of (set as pg.QueryResult | undefined)?.fields ?? []) {
      if (CATALOG_TEXT_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

/** A pg client whose results describe catalog types as text, before the adapter decodes them. */
class CatalogTextClient extends pg.Client {
  // pg.Pool calls query(text, values, callback); transactions call query(config) for a promise.
  override query(...args: any[]): any {
    const last = args.length - 1;
    const callback: unknown = args[last];
    if (typeof callback === 'function') {
      args[last] = (err: Error | undefined, res: unknown) => callback(err, err ? res : textifyCatalogColumns(res));
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    const out = (super.query as (...a: unknown[]) => unknown)(...args);
    return out instanceof Promise ? out.then(textifyCatalogColumns) : out;
  }
}

/** Runs one statement on a short-lived connection. */
export async function runOnce(url: string, sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/** The same connection URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The database name of a connection URL. */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new Error(`No database name in ${url}`);
  return name;
}

/** Quotes a PostgreSQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
