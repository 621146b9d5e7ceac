/**
 * Real `pilote start --role …` processes for the multi-process tests: each a child process of
 * bin/pilote.js with its own environment, its output kept for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { until } from './wait.js';

const BIN = fileURLToPath(new URL('../../bin/pilote.js', import.meta.url));

/**
 * A TCP port free on 127.0.0.1 now, chosen by the system (to know a server's URL before the
 * process that will listen on it starts).
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One running `pilote start` child process. */
export interface PiloteProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Its HTTP port, when it serves HTTP. */
  port?: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with its exit code (or signal name) once it exited. */
  exited: Promise<number | string | null>;
}

/** Starts `pilote start --role <role>` with `env` added to a minimal environment. */
export function startPilote(name: string, role: 'all' | 'web' | 'worker' | 'scheduler', env: Record<string, string>): PiloteProcess {
  const child = spawn(process.execPath, [BIN, 'start', '--role', role], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    name,
    child,
    pid: child.pid!,
    ...(env.HTTP_PORT ? { port: Number(env.HTTP_PORT) } : {}),
    output: () => out,
    exited,
  };
}

/** Waits until the process answers `/healthz` (or fails with its output). */
export async function healthy(p: PiloteProcess, timeoutMs = 60_000): Promise<void> {
  await until(
    `${p.name} to serve /healthz\n${p.output().slice(-3000)}`,
    () => (p.child.exitCode === null ? fetch(`http://127.0.0.1:${p.port}/healthz`).then((r) => r.ok, () => false) : Promise.reject(new Error(`${p.name} exited:\n${p.output().slice(-3000)}`))),
    timeoutMs,
  );
}

/** Waits until a role-only process (no HTTP) logged that it started. */
export async function started(p: PiloteProcess, timeoutMs = 60_000): Promise<void> {
  await until(
    `${p.name} to start\n${p.output().slice(-3000)}`,
    () => {
      if (p.child.exitCode !== null) throw new Error(`${p.name} exited:\n${p.output().slice(-3000)}`);
      return p.output().includes('pilote started');
    },
    timeoutMs,
  );
}

/** Stops a process: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopPilote(p: PiloteProcess, graceMs = 12_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** An HTTP proxy in front of a server that records the path of every request it passes on. */
export interface RecordingProxy {
  url: string;
  /** Bot API method names (last path segment) seen, with their time. */
  calls: { method: string; at: number }[];
  close(): Promise<void>;
}

/**
 * Starts a proxy to `target` (e.g. the fake Bot API), so that a test can tell which process made
 * which calls. A client that goes away (killed) cuts the upstream request too, as Telegram sees it.
 */
export async function recordingProxy(target: string): Promise<RecordingProxy> {
  const calls: RecordingProxy['calls'] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    calls.push({ method: /\/([A-Za-z]+)(?:\?.*)?$/.exec(path)?.[1] ?? path, at: Date.now() });
    const up = request(
      { host: upstream.hostname, port: upstream.port, path, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Whether a process with this pid still runs (stale test or bench databases are named after theirs). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
