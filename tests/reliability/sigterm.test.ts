import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/processes.js';

const BIN = fileURLToPath(new URL('../../bin/pilote.js', import.meta.url));

describe('pilote start', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase('sigterm');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('serves until SIGTERM, then drains and exits 0 within 10 s', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'start', '--role', 'all'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, HTTP_PORT: String(port), REDIS_PREFIX: `t-sigterm-${process.pid}`, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let healthy = false;
    for (let i = 0; i < 200 && !healthy; i++) {
      await new Promise((r) => setTimeout(r, 100));
      healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    }
    expect(healthy, out).toBe(true);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    expect(code, out).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(out).toContain('SIGTERM received: draining');
  }, 40_000);
});
