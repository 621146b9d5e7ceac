/**
 * Prisma's schema engine as WebAssembly, driven through a driver adapter (engine-adapters.ts).
 * The Prisma CLI's migrate commands need a native engine that it downloads at run time; this
 * needs nothing but npm packages and keeps the same `prisma/migrations` layout and
 * `_prisma_migrations` table.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';

/** An engine instance, as `withSchemaEngine` hands it over. */
export type { SchemaEngine };

/** The entity filter every engine command takes; Pilote manages all its tables and enums. */
export const NO_FILTER = { externalTables: [], externalEnums: [] };

// The project's libs have no DOM, and @types/node does not declare WebAssembly; Node has it.
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

const require = createRequire(import.meta.url);
let engineClass: Promise<typeof SchemaEngine> | undefined;
let lastPanic = '';

/** Instantiates the WebAssembly module once per process (wasm-bindgen cannot load it twice). */
function loadSchemaEngine(): Promise<typeof SchemaEngine> {
  engineClass ??= (async () => {
    // The engine reports Rust panics here; without it a panic is a bare "unreachable".
    (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message: (message: string) => (lastPanic = message),
    };
    // The package's main entry imports the .wasm file as an ES module, which Node 20 cannot.
    const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bg = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(path.join(path.dirname(bgPath), 'schema_engine_bg.wasm'));
    const imports: Record<string, unknown> = { ...bg };
    for (const key of Object.keys(imports).filter((k) => k.startsWith('__wbg_setTimeout_'))) {
      // The engine never clears its timers (a 10 s advisory-lock timeout on every migrate), which
      // would hold the process open for 10 s after the work is done. The engine's pools keep
      // the process alive while it works, so its timers need not.
      imports[key] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
    }
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bg.SchemaEngine;
  })();
  return engineClass;
}

/**
 * Runs `fn` with an engine connected through `factory`, then frees the engine and closes every
 * connection the factory opened. `schema` is the Prisma schema when the command needs one.
 */
export async function withSchemaEngine<T>(
  factory: MigrationAdapterFactory,
  schema: { path: string; content: string } | undefined,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  try {
    const SchemaEngineClass = await loadSchemaEngine();
    const bound = bindMigrationAwareSqlAdapterFactory(factory);
    const datamodels: [string, string][] | undefined = schema ? [[schema.path, schema.content]] : undefined;
    const engine = await SchemaEngineClass.new({ datamodels }, () => {}, bound).catch((e: unknown) => {
      throw engineError(e);
    });
    try {
      return await fn(engine).catch((e: unknown) => {
        throw engineError(e);
      });
    } finally {
      engine.free();
    }
  } finally {
    await factory.close();
  }
}

/** The engine's errors carry a Rust span trace after the message; keep the message, add a panic. */
function engineError(e: unknown): Error {
  if (!(e instanceof Error)) return new Error(String(e));
  const message = e.message.split(/\n\s+0: /)[0]!.trim();
  const error = new Error(lastPanic ? `${message} (schema engine panic: ${lastPanic})` : message, { cause: e });
  lastPanic = '';
  return error;
}

/** Reads a migrations folder the way the Prisma CLI hands it to the engine. */
export async function readMigrations(dir: string): Promise<MigrationList> {
  const lockPath = 'migration_lock.toml';
  const lockContent = await readFile(path.join(dir, lockPath), 'utf8').catch(() => null);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  folders.sort((a, b) => a.localeCompare(b));
  const migrationDirectories = await Promise.all(
    folders.map(async (folder) => ({
      path: folder,
      migrationFile: {
        path: 'migration.sql',
        content: await readFile(path.join(dir, folder, 'migration.sql'), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (e: Error) => ({ tag: 'error' as const, value: e.message }),
        ),
      },
    })),
  );
  return { baseDir: dir, lockfile: { path: lockPath, content: lockContent }, shadowDbInitScript: '', migrationDirectories };
}

/** A migration-aware adapter factory that also closes what it opened. */
export interface MigrationAdapterFactory extends SqlMigrationAwareDriverAdapterFactory {
  close(): Promise<void>;
}
