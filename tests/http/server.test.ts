import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

describe('HTTP server', () => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    h = await startHarness('http');
    base = `http://127.0.0.1:${h.app.httpPort}`;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers /healthz and /readyz with PostgreSQL and Redis reachable', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ postgres: 'ok', redis: 'ok' });
  });

  it('exposes Prometheus metrics: commands by name and outcome, queue depths, delivery latency', async () => {
    await h.say('maire', '/tache Réviser le PLU');
    await h.say('citoyen', '/tache Interdit');
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(body).toMatch(/pilote_commands_total\{command="tache",outcome="ok"\} 1\b/);
    expect(body).toMatch(/pilote_commands_total\{command="tache",outcome="forbidden"\} 1\b/);
    expect(body).toMatch(/pilote_queue_jobs\{queue="inbound",state="completed"\}|pilote_queue_jobs\{queue="inbound",state="waiting"\} 0/);
    // Events not yet moved into the inbound queue (none: the pump has moved them).
    expect(body).toMatch(/pilote_queue_jobs\{queue="ingress",state="waiting"\} 0\b/);
    expect(body).toMatch(/pilote_delivery_latency_seconds_count\{platform="console"\} [1-9]/);
    expect(body).toContain('pilote_process_resident_memory_bytes');
  });

  it('answers 404 for unknown paths and 405 for a wrong method', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
  });
});
