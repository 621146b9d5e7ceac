import pg from 'pg';
import { createPrisma } from '../../src/db/client.js';
const url = 'postgresql://postgres@127.0.0.1:5432/postgres';
const prisma = createPrisma(process.env.DB!, { max: 4 });
const pool = new pg.Pool({ connectionString: process.env.DB!, max: 4 });
const N = 2000;
async function measure(name: string, fn: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 200; i++) await fn(i);
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < N; i++) await fn(i);
  const c = process.cpuUsage(c0);
  console.log(name.padEnd(40), 'wall µs', ((performance.now() - t0) / N * 1000).toFixed(0), 'cpu µs', ((c.user + c.system) / N).toFixed(0));
}
await measure('pg raw select', (i) => pool.query('SELECT id, name FROM "Commune" WHERE id = $1', [`bc${1 + i % 10}`]));
await measure('prisma findUnique', (i) => prisma.commune.findUnique({ where: { id: `bc${1 + i % 10}` } }));
await measure('prisma $queryRaw', (i) => prisma.$queryRaw`SELECT id, name FROM "Commune" WHERE id = ${`bc${1 + i % 10}`}`);
await measure('prisma identity include member commune', (i) => prisma.chatIdentity.findUnique({ where: { platform_workspace_userId: { platform: 'CONSOLE', workspace: '', userId: `u${1 + i % 10}_1` } }, include: { member: { include: { commune: true } } } }));
await measure('prisma empty $transaction', () => prisma.$transaction(async (db) => { await db.$executeRaw`SELECT 1`; }));
await measure('pg BEGIN select COMMIT', async () => { const c = await pool.connect(); try { await c.query('BEGIN'); await c.query('SELECT 1'); await c.query('COMMIT'); } finally { c.release(); } });
await prisma.$disconnect(); await pool.end();
