import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { testDatabase } from '../helpers/db.js';

describe('pilote demo', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  const dataDir = mkdtempSync(join(tmpdir(), 'pilote-demo-'));
  const prefix = `t-demo-${process.pid}`;
  beforeAll(async () => {
    db = await testDatabase('demo');
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('starts, answers /aide and /tableau from piped input, presses a button, and exits cleanly', async () => {
    const run = await runCli(
      ['demo'],
      { DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: prefix, PILOTE_DATA_DIR: dataDir },
      '/aide\n/tableau\n/tache Sortir les poubelles pour demain\n1\n',
      90_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Pilote — démo');
    expect(run.stdout).toContain('ce que je sais faire');
    expect(run.stdout).toContain('/tableau — le tableau de bord de la commune');
    expect(run.stdout).toContain('Tableau de bord — Saint-Pilote');
    expect(run.stdout).toContain('Tâche #5 créée : Sortir les poubelles');
    expect(run.stdout).toContain('fait par Claire Martin');
    // Replies come in the order of the commands.
    const order = ['ce que je sais faire', 'Tableau de bord', 'Tâche #5 créée', 'fait par Claire Martin'].map((s) => run.stdout.indexOf(s));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const done = await db.prisma.task.findFirstOrThrow({ where: { title: 'Sortir les poubelles' } });
    expect(done.status).toBe('DONE');
  });
});
