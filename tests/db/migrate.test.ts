import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrisma } from '../../src/db/client.js';
import { createPrismaPglite, openPglite, preparePglite } from '../../src/db/pglite.js';
import { runOnce, withDatabase } from '../../src/db/engine-adapters.js';
import { applyMigrations, applyMigrationsPglite, createMigration, ensureDatabase, PROJECT_ROOT } from '../../src/db/migrate.js';
import { dropDatabase, SERVER_URL, testDatabase, uniqueDatabaseName } from '../helpers/db.js';

const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'prisma', 'migrations');
const created: string[] = [];
const tempDirs: string[] = [];

/** The URL of a database that does not exist yet; dropped after the file. */
function freshDatabase(label: string): string {
  const name = uniqueDatabaseName(label);
  created.push(name);
  return withDatabase(SERVER_URL, name);
}

async function migrationFolders(dir = MIGRATIONS_DIR): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

async function shadowDatabases(): Promise<number> {
  const r = await runOnce(SERVER_URL, "SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'");
  return r.rows[0].n as number;
}

/** Runs applyMigrations in another Node process, as a second replica starting would. */
function applyInChild(url: string): Promise<string[]> {
  const code = `const m = await import(${JSON.stringify(path.join(PROJECT_ROOT, 'src/db/migrate.ts'))});
    const r = await m.applyMigrations(${JSON.stringify(url)}); process.stdout.write(JSON.stringify(r.applied));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: PROJECT_ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(err))));
  });
}

/** A copy of the migrations with a last one that fails halfway. */
async function brokenMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pilote-migrations-'));
  tempDirs.push(dir);
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  await mkdir(path.join(dir, '29991231000000_broken'));
  await writeFile(path.join(dir, '29991231000000_broken', 'migration.sql'), 'CREATE TABLE "Scratch" (id int);\nSELECT 1/0;\n');
  return dir;
}

afterAll(async () => {
  for (const name of created) await dropDatabase(name);
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe('applyMigrations', () => {
  const url = freshDatabase('migrate_fresh');

  it('creates the database and applies every migration, recorded in _prisma_migrations', async () => {
    const folders = await migrationFolders();
    expect(folders.length).toBeGreaterThan(0);
    const lines: string[] = [];

    const { applied } = await applyMigrations(url, { log: (l) => lines.push(l) });

    expect(applied).toEqual(folders);
    expect(lines).toContain(`applied ${folders[0]}`);
    const tables = await runOnce(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    const names = tables.rows.map((r) => r.table_name as string);
    expect(names).toEqual(expect.arrayContaining(['Commune', 'Member', 'Task', 'Reminder', 'OutboxMessage', '_prisma_migrations']));
    const rows = await runOnce(
      url,
      'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.rows.map((r) => r.migration_name)).toEqual(folders);
    for (const row of rows.rows) {
      const sql = await readFile(path.join(MIGRATIONS_DIR, row.migration_name as string, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('applies nothing the second time and keeps the data', async () => {
    const prisma = createPrisma(url, { max: 2 });
    try {
      await prisma.commune.create({ data: { name: 'Saint-Migré', insee: '99001' } });
      const lines: string[] = [];

      const { applied } = await applyMigrations(url, { log: (l) => lines.push(l) });

      expect(applied).toEqual([]);
      expect(lines).toEqual(['no pending migration']);
      expect(await prisma.commune.findMany({ select: { name: true } })).toEqual([{ name: 'Saint-Migré' }]);
      const count = await runOnce(url, 'SELECT count(*)::int AS n FROM _prisma_migrations');
      expect(count.rows[0].n).toBe((await migrationFolders()).length);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('lets several processes migrate the same new database at once', async () => {
    const concurrentUrl = freshDatabase('migrate_concurrent');
    const folders = await migrationFolders();

    const results = await Promise.all([
      applyInChild(concurrentUrl),
      applyInChild(concurrentUrl),
      applyMigrations(concurrentUrl).then((r) => r.applied),
      applyMigrations(concurrentUrl).then((r) => r.applied),
    ]);

    // Exactly one caller applied the migrations; the others found nothing left to do.
    expect(results.filter((r) => r.length > 0)).toEqual([folders]);
    const rows = await runOnce(concurrentUrl, 'SELECT migration_name FROM _prisma_migrations ORDER BY migration_name');
    expect(rows.rows.map((r) => r.migration_name)).toEqual(folders);
  });

  it('reports a failing migration and leaves nothing of it behind', async () => {
    const dir = await brokenMigrations();
    const badUrl = freshDatabase('migrate_broken');

    await expect(applyMigrations(badUrl, { migrationsDir: dir })).rejects.toThrow(/division by zero/);

    // The script runs as one implicit transaction: the table of its first statement is gone.
    const scratch = await runOnce(badUrl, `SELECT to_regclass('"Scratch"') AS t`);
    expect(scratch.rows[0].t).toBeNull();
    await expect(applyMigrations(badUrl, { migrationsDir: dir })).rejects.toThrow(/failed migrations/);
  });
});

describe('ensureDatabase', () => {
  it('creates a missing database once', async () => {
    const url = freshDatabase('ensure');
    expect(await Promise.all([ensureDatabase(url), ensureDatabase(url)])).toEqual(expect.arrayContaining([true, false]));
    expect(await ensureDatabase(url)).toBe(false);
  });
});

describe('createMigration', () => {
  it('returns null and writes nothing when the schema matches the migrations', async () => {
    const before = await migrationFolders();
    const shadowsBefore = await shadowDatabases();

    expect(await createMigration(freshDatabase('create_none'), 'nothing')).toBeNull();

    expect(await migrationFolders()).toEqual(before);
    expect(await shadowDatabases()).toBe(shadowsBefore);
  });

  it('writes the next migration when the schema changed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pilote-migrations-'));
    tempDirs.push(dir);
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    const schema = await readFile(path.join(PROJECT_ROOT, 'prisma', 'schema.prisma'), 'utf8');
    const schemaPath = path.join(dir, 'schema.prisma');
    await writeFile(schemaPath, schema.replace(/(model AdapterState \{\n)/, '$1  note String?\n'));
    const url = freshDatabase('create_change');

    const folder = await createMigration(url, 'Adapter note', { migrationsDir: dir, schemaPath });

    expect(folder).toMatch(/[/\\]\d{14}_adapter_note$/);
    const sql = await readFile(path.join(folder!, 'migration.sql'), 'utf8');
    expect(sql).toContain('ALTER TABLE "AdapterState" ADD COLUMN     "note" TEXT;');
    // Not applied by createMigration; the next applyMigrations does it.
    expect((await applyMigrations(url, { migrationsDir: dir })).applied).toEqual([path.basename(folder!)]);
  });
});

describe('applyMigrationsPglite', () => {
  it('migrates an embedded PGlite data directory that a Prisma client then uses', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pilote-pglite-'));
    tempDirs.push(dataDir);
    const folders = await migrationFolders();

    const applied: string[] = [];
    const first = await preparePglite(dataDir, (line) => applied.push(line));
    await first.commune.create({ data: { name: 'Saint-Embarqué', insee: '99002' } });
    await first.$disconnect();
    for (const folder of folders) expect(applied.join('\n')).toContain(folder);

    const db = await openPglite(dataDir);
    expect((await applyMigrationsPglite(db)).applied).toEqual([]);
    const prisma = createPrismaPglite(db);
    expect(await prisma.commune.count()).toBe(1);
    await prisma.$disconnect();
    expect(db.closed).toBe(true);
  });

  it('records a failing migration as failed instead of applied', async () => {
    const db = new PGlite();
    try {
      await expect(applyMigrationsPglite(db, { migrationsDir: await brokenMigrations() })).rejects.toThrow(/division by zero/);
      const rows = await db.query<{ migration_name: string; finished_at: Date | null }>(
        'SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name',
      );
      expect(rows.rows.at(-1)).toEqual({ migration_name: '29991231000000_broken', finished_at: null });
      expect((await db.query(`SELECT to_regclass('"Scratch"') AS t`)).rows).toEqual([{ t: null }]);
    } finally {
      await db.close();
    }
  });
});

describe('testDatabase (tests/helpers/db.ts)', () => {
  it('copies the migrated template into a database of its own, dropped by drop()', async () => {
    const [a, b] = await Promise.all([testDatabase('helper a'), testDatabase('helper b')]);
    try {
      expect(a.url).not.toBe(b.url);
      await a.prisma.commune.create({ data: { name: 'Seulement-A', insee: '99003' } });
      expect(await a.prisma.commune.count()).toBe(1);
      expect(await b.prisma.commune.count()).toBe(0);
      const rows = await runOnce(a.url, 'SELECT count(*)::int AS n FROM _prisma_migrations');
      expect(rows.rows[0].n).toBe((await migrationFolders()).length);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
    const left = await runOnce(SERVER_URL, 'SELECT datname FROM pg_database WHERE datname = ANY($1)', [
      [a.url, b.url].map((u) => decodeURIComponent(new URL(u).pathname.slice(1))),
    ]);
    expect(left.rows).toEqual([]);
  });
});
