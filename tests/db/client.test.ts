/** The Prisma client factory (src/db/client.ts): statements prepared once per connection, within bounds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, NAMED_STATEMENTS, type PrismaClient } from '../../src/db/client.js';
import { testDatabase, type TestDatabase } from '../helpers/db.js';

describe('createPrisma', () => {
  let db: TestDatabase;
  const clients: PrismaClient[] = [];
  beforeAll(async () => {
    db = await testDatabase('client');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.$disconnect()));
    await db?.drop();
  });

  /** A client on one connection, so that its session's prepared statements can be read. */
  const oneConnection = (prepared?: boolean) => {
    const client = createPrisma(db.url, { max: 1, ...(prepared === undefined ? {} : { prepared }) });
    clients.push(client);
    return client;
  };
  const prepared = async (client: PrismaClient) =>
    client.$queryRaw<{ name: string; statement: string }[]>`SELECT "name", "statement" FROM pg_prepared_statements ORDER BY "prepare_time"`;

  it('prepares a statement once per connection, and answers the same from it', async () => {
    const client = oneConnection();
    const commune = await db.prisma.commune.create({ data: { name: 'Préparée', insee: '99001', timezone: 'Europe/Paris' } });
    const first = await client.commune.findUnique({ where: { id: commune.id } });
    const second = await client.commune.findUnique({ where: { id: commune.id } });
    expect(second).toEqual(first);
    expect(second?.name).toBe('Préparée');
    const statements = await prepared(client);
    const lookups = statements.filter((s) => s.statement.includes('FROM "public"."Commune"'));
    expect(lookups).toHaveLength(1);
    expect(lookups[0]!.name).toMatch(/^pilote_\d+$/);
  });

  it(`names at most ${NAMED_STATEMENTS} shapes; later ones run unnamed`, async () => {
    const client = oneConnection();
    for (let i = 0; i < NAMED_STATEMENTS + 10; i++) {
      const [row] = await client.$queryRawUnsafe<{ n: number }[]>(`SELECT ${i}::int AS "n"`);
      expect(row!.n).toBe(i);
    }
    const statements = await prepared(client);
    expect(statements.filter((s) => s.name.startsWith('pilote_'))).toHaveLength(NAMED_STATEMENTS);
    expect(statements.some((s) => s.statement === `SELECT ${NAMED_STATEMENTS + 5}::int AS "n"`)).toBe(false);
  });

  it('leaves statements with a list of values unnamed: each length of a list would be a shape of its own', async () => {
    const client = oneConnection();
    const made = await Promise.all(
      ['99101', '99102', '99103'].map((insee) => db.prisma.commune.create({ data: { name: `Liste ${insee}`, insee, timezone: 'Europe/Paris' } })),
    );
    for (let n = 1; n <= made.length; n++) {
      expect(await client.commune.count({ where: { id: { in: made.slice(0, n).map((c) => c.id) } } })).toBe(n);
    }
    await client.commune.createMany({ data: [{ name: 'Liste a', insee: '99104', timezone: 'Europe/Paris' }, { name: 'Liste b', insee: '99105', timezone: 'Europe/Paris' }] });
    const named = (await prepared(client)).filter((s) => s.name.startsWith('pilote_'));
    // The one-id list is a fixed shape, and is named; two and three ids, and two rows, are not.
    expect(named.filter((s) => s.statement.includes('"public"."Commune"."id" IN'))).toHaveLength(1);
    expect(named.some((s) => s.statement.includes('INSERT INTO "public"."Commune"'))).toBe(false);
    expect(await client.commune.count({ where: { insee: { in: ['99104', '99105'] } } })).toBe(2);
  });

  it('prepares nothing when told not to (a pooler in transaction mode that forgets them)', async () => {
    const client = oneConnection(false);
    await client.commune.count();
    await client.commune.count();
    expect(await prepared(client)).toEqual([]);
  });
});
