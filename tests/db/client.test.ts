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

  it('prepares nothing when told not to (a pooler in transaction mode that forgets them)', async () => {
    const client = oneConnection(false);
    await client.commune.count();
    await client.commune.count();
    expect(await prepared(client)).toEqual([]);
  });
});
