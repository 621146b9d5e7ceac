/**
 * HTTP load generator, run as a child process of the bench so that load and server do not
 * share an event loop: `connections` keep-alive connections to 127.0.0.1 each POST the body
 * again as soon as the previous answer is in, until `seconds` pass or `maxRequests` were sent.
 * `__ID__` in the body is replaced by a number unique to each request (Telegram update ids).
 */
import http from 'node:http';
import { serve } from './lib/child.js';
import { percentile } from './lib/stats.js';

/** One load run. */
export interface LoadSpec {
  port: number;
  path: string;
  headers?: Record<string, string>;
  body: string;
  connections: number;
  seconds: number;
  maxRequests: number;
  /** First value of `__ID__`. */
  firstId: number;
}

/** What a load run measured (latencies in ms). */
export interface LoadResult {
  requests: number;
  ok: number;
  statuses: Record<string, number>;
  errors: number;
  seconds: number;
  /** Answers with status 200 per second. */
  rps: number;
  p50: number;
  p99: number;
}

function post(agent: http.Agent, spec: LoadSpec, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: spec.port,
        path: spec.path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...spec.headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + spec.seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline && sent < spec.maxRequests) {
      const body = spec.body.replaceAll('__ID__', String(spec.firstId + sent++));
      const t0 = performance.now();
      try {
        const status = await post(agent, spec, body);
        latencies.push(performance.now() - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    requests: sent,
    ok: statuses['200'] ?? 0,
    statuses,
    errors,
    seconds,
    rps: (statuses['200'] ?? 0) / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

serve({ run, stop: () => undefined });
