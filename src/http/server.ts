/**
 * The one HTTP server of a process (SPEC section 4): health, readiness, Prometheus metrics,
 * and the routes adapters and features register (webhooks, iCal feeds).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRoute } from '../core/types.js';

/** Readiness checks by name; each resolves when the dependency answers. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

/** Options of {@link startHttpServer}. */
export interface HttpOptions {
  port: number;
  host?: string;
  routes: HttpRoute[];
  ready: ReadinessChecks;
  metrics: () => Promise<{ contentType: string; body: string }>;
  onError: (err: unknown) => void;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Starts the server; resolves with it and its bound port once listening. */
export async function startHttpServer(opts: HttpOptions): Promise<{ server: Server; port: number }> {
  const table = new Map<string, HttpRoute['handler']>();
  for (const r of opts.routes) table.set(`${r.method} ${r.path}`, r.handler);
  table.set('GET /healthz', (_req, res) => send(res, 200, 'ok\n'));
  table.set('GET /readyz', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(opts.ready).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2000);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, `down: ${(err as Error).message}`] as const;
        }
      }),
    );
    const ok = results.every(([, s]) => s === 'ok');
    send(res, ok ? 200 : 503, JSON.stringify(Object.fromEntries(results)), 'application/json');
  });
  table.set('GET /metrics', async (_req, res) => {
    const m = await opts.metrics();
    send(res, 200, m.body, m.contentType);
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handler = table.get(`${req.method} ${path}`) ?? prefixRoute(opts.routes, req.method, path);
    if (!handler) {
      send(res, table.has(`GET ${path}`) || table.has(`POST ${path}`) ? 405 : 404, 'not found\n');
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err) => {
        opts.onError(err);
        if (!res.headersSent) send(res, 500, 'internal error\n');
        else res.end();
      });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Routes whose path ends with `/*` match any path under them (iCal feeds by token). */
function prefixRoute(routes: HttpRoute[], method: string | undefined, path: string) {
  return routes.find((r) => r.method === method && r.path.endsWith('/*') && path.startsWith(r.path.slice(0, -1)))?.handler;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}
