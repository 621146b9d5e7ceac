/**
 * Raw SQL straight to the driver adapter (src/db/sql.ts): the same values as Prisma's own
 * `$queryRaw`, in the transaction it is given and no other, refused once that transaction has
 * ended, and failures reported as `$queryRaw` reports them; on PostgreSQL and on the demo's PGlite.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient, type Tx } from '../../src/db/client.js';
import { preparePglite } from '../../src/db/pglite.js';
import { executeRaw, queryRaw, transaction } from '../../src/db/sql.js';
import { Prisma } from '../../src/generated/prisma/client.js';
import { isTransient } from '../../src/jobs/inbound.js';
import { testDatabase, type TestDatabase } from '../helpers/db.js';

/** A statement with a value of every kind Pilote passes, and a column of every kind it reads back. */
const everyKind = (communeId: string) => Prisma.sql`
  SELECT
    ${'texte é'}::text AS "text", ${42}::int AS "int", ${7}::float8 AS "float", ${2.5}::numeric AS "numeric",
    ${12345678901234n}::bigint AS "bigint", ${new Prisma.Decimal('10.25')}::numeric AS "decimal",
    ${new Date('2026-12-05T09:30:00.123Z')}::timestamp(3) AS "timestamp",
    ${new Date('2026-12-05T09:30:00.123Z')}::timestamptz AS "timestamptz",
    '2026-12-05'::date AS "date", '09:30:00'::time AS "time",
    ${true}::boolean AS "bool", ${null}::text AS "null",
    ${['a', 'b']}::text[] AS "texts", ${[1, 2]}::int[] AS "ints", ${[3n, 4n]}::bigint[] AS "bigints",
    ${{ a: 1, b: [true, null], c: 'é' }}::jsonb AS "jsonb", ${JSON.stringify({ d: 2 })}::json AS "json",
    ${[JSON.stringify({ k: 'x' }), null]}::jsonb[] AS "jsonbs",
    ${Buffer.from([0, 1, 254, 255])}::bytea AS "bytes", gen_random_uuid() IS NOT NULL AS "uuid",
    'MAYOR'::"Role" AS "enum", count(*) AS "count",
    (SELECT "name" FROM "Commune" WHERE "id" = ${communeId}) AS "commune"
  FROM "Commune"`;

/** Prisma's own transaction client behind `db`, for `$queryRaw` as the reference (Pilote's `Tx` leaves it out). */
const own = (db: Tx) => db as unknown as Prisma.TransactionClient;

/** The same statement through Prisma's `$queryRaw` (the reference) and `queryRaw`, inside a transaction and out. */
async function bothWays(prisma: PrismaClient, sql: Prisma.Sql): Promise<{ prisma: unknown; direct: unknown; prismaTx: unknown; directTx: unknown }> {
  return {
    prisma: await prisma.$queryRaw(sql),
    direct: await queryRaw(prisma, sql),
    ...(await transaction(prisma, async (db) => ({ prismaTx: await own(db).$queryRaw(sql), directTx: await queryRaw(db, sql) }))),
  };
}

describe('raw SQL through the driver adapter', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let communeId: string;

  beforeAll(async () => {
    db = await testDatabase('sql');
    prisma = db.prisma;
    communeId = (await prisma.commune.create({ data: { name: 'Brélévenez', insee: '22999', timezone: 'Europe/Paris' } })).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('gives back what $queryRaw gives back, value for value', async () => {
    const got = await bothWays(prisma, everyKind(communeId));
    expect(got.direct).toEqual(got.prisma);
    expect(got.directTx).toEqual(got.prismaTx);
    expect(got.directTx).toEqual(got.prisma);
    const [row] = got.direct as Record<string, unknown>[];
    // What the callers rely on, spelled out (a mistake in both ways would otherwise pass).
    expect(row).toMatchObject({ text: 'texte é', int: 42, bigint: 12345678901234n, count: 1n, bool: true, null: null, texts: ['a', 'b'], bigints: [3n, 4n], enum: 'MAYOR', commune: 'Brélévenez' });
    expect(row!.timestamp).toEqual(new Date('2026-12-05T09:30:00.123Z'));
    expect(row!.timestamptz).toEqual(new Date('2026-12-05T09:30:00.123Z'));
    expect(row!.jsonb).toEqual({ a: 1, b: [true, null], c: 'é' });
    expect(row!.jsonbs).toEqual([{ k: 'x' }, null]);
    expect(Prisma.Decimal.isDecimal(row!.decimal) && (row!.decimal as Prisma.Decimal).toString()).toBe('10.25');
    expect([...(row!.bytes as Uint8Array)]).toEqual([0, 1, 254, 255]);
  });

  it('sends an object as its JSON, as Prisma does, a plain value when its toJSON gives one', async () => {
    const at = { toJSON: () => '2026-12-05T09:30:00.000Z' };
    const sql = Prisma.sql`SELECT ${at}::text AS "at", ${{ n: 1n, when: new Date('2026-12-05T00:00:00Z') }}::jsonb AS "j"`;
    const got = await bothWays(prisma, sql);
    expect(got.direct).toEqual(got.prisma);
    expect(got.direct).toEqual([{ at: '2026-12-05T09:30:00.000Z', j: { n: '1', when: '2026-12-05T00:00:00.000Z' } }]);
  });

  it('counts the rows a statement changed, as $executeRaw does', async () => {
    const rename = (name: string) => Prisma.sql`UPDATE "Commune" SET "name" = ${name} WHERE "id" = ${communeId} OR "insee" = 'none'`;
    expect(await executeRaw(prisma, rename('Brélévenez'))).toBe(await prisma.$executeRaw(rename('Brélévenez')));
    expect(await executeRaw(prisma, Prisma.sql`UPDATE "Commune" SET "name" = 'x' WHERE false`)).toBe(0);
  });

  it('runs in the transaction it is given, with its model calls, and rolls back with it', async () => {
    const failed = transaction(prisma, async (tx) => {
      const commune = await tx.commune.create({ data: { name: 'Éphémère', insee: '22998', timezone: 'Europe/Paris' } });
      // The raw statement sees the model call's uncommitted row, and writes beside it.
      const [seen] = await queryRaw<{ name: string }[]>(tx, Prisma.sql`SELECT "name" FROM "Commune" WHERE "id" = ${commune.id}`);
      expect(seen?.name).toBe('Éphémère');
      await executeRaw(tx, Prisma.sql`UPDATE "Commune" SET "taskSeq" = 41 WHERE "id" = ${commune.id}`);
      expect((await tx.commune.findUniqueOrThrow({ where: { id: commune.id } })).taskSeq).toBe(41);
      const [mine] = await queryRaw<{ id: bigint }[]>(tx, Prisma.sql`SELECT txid_current() AS "id"`);
      const [prismas] = await own(tx).$queryRaw<{ id: bigint }[]>`SELECT txid_current() AS "id"`;
      expect(mine!.id).toBe(prismas!.id);
      throw new Error('give up');
    });
    await expect(failed).rejects.toThrow('give up');
    expect(await prisma.commune.count({ where: { insee: '22998' } })).toBe(0);
  });

  it('keeps transactions that run side by side apart', async () => {
    const ids = await Promise.all(
      Array.from({ length: 4 }, () =>
        transaction(prisma, async (tx) => {
          const [a] = await queryRaw<{ id: bigint }[]>(tx, Prisma.sql`SELECT txid_current() AS "id"`);
          await new Promise((resolve) => setTimeout(resolve, 20));
          const [b] = await own(tx).$queryRaw<{ id: bigint }[]>`SELECT txid_current() AS "id"`;
          const [c] = await queryRaw<{ id: bigint }[]>(tx, Prisma.sql`SELECT txid_current() AS "id"`);
          expect([b!.id, c!.id]).toEqual([a!.id, a!.id]);
          return a!.id;
        }),
      ),
    );
    expect(new Set(ids).size).toBe(4);
  });

  it('refuses a statement once its transaction has ended, rather than run it outside', async () => {
    let kept: Tx | undefined;
    await transaction(prisma, async (tx) => {
      kept = tx;
    });
    await expect(queryRaw(kept!, Prisma.sql`SELECT 1`)).rejects.toMatchObject({ code: 'P2028' });
    // A transaction past its timeout is rolled back by Prisma; what its callback sends after is refused.
    let late: Promise<unknown> | undefined;
    const timedOut = transaction(
      prisma,
      async (tx) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        late = executeRaw(tx, Prisma.sql`UPDATE "Commune" SET "name" = 'trop tard' WHERE "id" = ${communeId}`);
        await late;
      },
      { timeout: 100 },
    );
    await expect(timedOut).rejects.toThrow();
    await expect(late).rejects.toMatchObject({ code: 'P2028' });
    expect((await prisma.commune.findUniqueOrThrow({ where: { id: communeId } })).name).toBe('Brélévenez');
  });

  it('keeps a transaction open after an inner one rolls back to its savepoint', async () => {
    const name = await transaction(prisma, async (tx) => {
      await executeRaw(tx, Prisma.sql`UPDATE "Commune" SET "name" = 'gardé' WHERE "id" = ${communeId}`);
      // Prisma nests a transaction as a savepoint; its failure sends ROLLBACK TO SAVEPOINT.
      const inner = own(tx).$transaction(async (nested) => {
        await nested.commune.update({ where: { id: communeId }, data: { name: 'annulé' } });
        throw new Error('inner');
      });
      await expect(inner).rejects.toThrow('inner');
      const [row] = await queryRaw<{ name: string }[]>(tx, Prisma.sql`SELECT "name" FROM "Commune" WHERE "id" = ${communeId}`);
      await executeRaw(tx, Prisma.sql`UPDATE "Commune" SET "name" = 'Brélévenez' WHERE "id" = ${communeId}`);
      return row!.name;
    });
    expect(name).toBe('gardé');
    expect((await prisma.commune.findUniqueOrThrow({ where: { id: communeId } })).name).toBe('Brélévenez');
  });

  it('refuses a transaction it did not open, whose connection it cannot know', async () => {
    await expect(prisma.$transaction((tx) => queryRaw(tx, Prisma.sql`SELECT 1`))).rejects.toThrow(/transaction\(\)/);
  });

  it('reports a database failure as $queryRaw does: P2010 with the SQLSTATE, transient where a retry helps', async () => {
    const duplicate = Prisma.sql`INSERT INTO "Commune" ("id", "name", "insee", "timezone") VALUES (${communeId}, 'doublon', '22997', 'Europe/Paris')`;
    const mine = await executeRaw(prisma, duplicate).catch((e: unknown) => e);
    const prismas = await prisma.$executeRaw(duplicate).catch((e: unknown) => e);
    expect(mine).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect(mine).toMatchObject({ code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '23505' } } } });
    // Prisma's own message only adds which call it was.
    expect((prismas as Error).message).toContain((mine as Error).message);
    expect((mine as Error).message).toContain('duplicate key value violates unique constraint');
    expect(isTransient(mine)).toBe(false);
    const deadlock = await transaction(prisma, (tx) => executeRaw(tx, Prisma.sql`DO $$ BEGIN RAISE EXCEPTION 'cycle' USING ERRCODE = '40P01'; END $$`)).catch((e: unknown) => e);
    expect(deadlock).toMatchObject({ code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '40P01' } } } });
    expect(isTransient(deadlock)).toBe(true);
  });

  it('reports a database it cannot reach as worth a retry, as Prisma does for a model call', async () => {
    const unreachable = createPrisma('postgresql://postgres@127.0.0.1:1/none', { max: 1 });
    try {
      const raw = await queryRaw(unreachable, Prisma.sql`SELECT 1`).catch((e: unknown) => e);
      expect(raw).toMatchObject({ code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } } });
      expect((raw as Error).message).toContain("Can't reach database server at 127.0.0.1:1");
      expect(isTransient(raw)).toBe(true);
      expect(isTransient(await unreachable.commune.count().catch((e: unknown) => e))).toBe(true);
    } finally {
      await unreachable.$disconnect();
    }
  });
});

describe('raw SQL on the demo’s PGlite', () => {
  let dataDir: string;
  let prisma: PrismaClient;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pilote-sql-pglite-'));
    prisma = await preparePglite(dataDir, () => undefined);
  }, 60_000);
  afterAll(async () => {
    await prisma?.$disconnect();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('gives back what $queryRaw gives back, in its transaction', async () => {
    const commune = await prisma.commune.create({ data: { name: 'Embarquée', insee: '22996', timezone: 'Europe/Paris' } });
    const sql = Prisma.sql`
      SELECT "id", "name", "createdAt", "taskSeq", count(*) OVER () AS "n", ${[commune.id]}::text[] AS "ids", ${{ x: 1 }}::jsonb AS "j"
      FROM "Commune" WHERE "id" = ${commune.id}`;
    const got = await bothWays(prisma, sql);
    expect(got.direct).toEqual(got.prisma);
    expect(got.directTx).toEqual(got.prisma);
    expect(got.direct).toEqual([{ id: commune.id, name: 'Embarquée', createdAt: commune.createdAt, taskSeq: 0, n: 1n, ids: [commune.id], j: { x: 1 } }]);
    await expect(
      transaction(prisma, async (tx) => {
        await executeRaw(tx, Prisma.sql`UPDATE "Commune" SET "name" = 'annulé' WHERE "id" = ${commune.id}`);
        throw new Error('give up');
      }),
    ).rejects.toThrow('give up');
    expect((await prisma.commune.findUniqueOrThrow({ where: { id: commune.id } })).name).toBe('Embarquée');
  });
});
