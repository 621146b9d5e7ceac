import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canConnect } from '../../src/demo/services.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { freePort } from '../helpers/processes.js';

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await canConnect('127.0.0.1', port, 100)); i++) await new Promise((r) => setTimeout(r, 50));
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('a dead Redis', () => {
  let h: Harness;
  let port: number;
  let redis: ChildProcess;
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    h = await startHarness('redisdown', { env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
  });
  afterAll(async () => {
    await h?.stop().catch(() => undefined);
    if (redis) await stopRedis(redis);
  });

  it('gets a short answer in the member’s language, keeps the process alive, and recovers', { timeout: 90_000 }, async () => {
    expect(await h.say('maire', '/tache Avant la panne')).toContain('créée');
    await stopRedis(redis);
    const down = await h.say('maire', '/tache Pendant la panne');
    expect(down).toContain('Pilote est momentanément indisponible');
    const ready = await fetch(`http://127.0.0.1:${h.app.httpPort}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { redis: string }).redis).toMatch(/^down/);

    redis = await startRedis(port);
    let back = '';
    for (let i = 0; i < 100 && !back.includes('créée'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      back = await h.say('maire', `/tache Après la panne ${i}`);
    }
    expect(back).toContain("créée");
    const titles = (await h.prisma.task.findMany({ select: { title: true } })).map((t) => t.title);
    expect(titles).toContain('Avant la panne');
    expect(titles).not.toContain('Pendant la panne');
  });

  it('still stops within its deadline when Redis is gone for good', { timeout: 60_000 }, async () => {
    expect(await h.say('maire', '/tache Avant l’arrêt')).toContain('créée');
    await stopRedis(redis);
    const t0 = Date.now();
    await h.app.stop(2000);
    // Drain (2 s) plus the bounded close steps: well under the 10 s a SIGTERM allows.
    expect(Date.now() - t0).toBeLessThan(10_000);
    // The harness cleans its keys up in afterAll: give it a Redis again.
    redis = await startRedis(port);
  });
});
