/**
 * Child processes of the bench (the app under load, the HTTP load generator): forked with the
 * tsx loader, spoken to by request/response messages over IPC, their output kept in a log file.
 * `BENCH_CPU_PROF=1` makes each child write a V8 CPU profile (`--cpu-prof`) on exit.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bench folder. */
export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** Where CPU profiles go when BENCH_CPU_PROF=1. */
export const PROFILE_DIR = path.join(BENCH_DIR, 'results', 'profiles');

interface Request {
  id: number;
  op: string;
  args: unknown;
}
type Reply = { id: number; result: unknown } | { id: number; error: string };

/** A running child; {@link call} sends it an operation and resolves with its answer. */
export interface Child {
  readonly pid: number;
  call<T>(op: string, args?: unknown): Promise<T>;
  /** Asks it to stop, waits for its exit (killed after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** Forks `file` (relative to bench/, or absolute; `.ts` through tsx) and waits for its `ready` message. */
export async function startChild(file: string, opts: { env?: Record<string, string>; logFile: string; name: string }): Promise<Child> {
  const execArgv = file.endsWith('.ts') ? ['--import', 'tsx'] : [];
  if (process.env.BENCH_CPU_PROF === '1') {
    mkdirSync(PROFILE_DIR, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${opts.name}-${Date.now()}.cpuprofile`);
  }
  const log = openSync(opts.logFile, 'a');
  const child: ChildProcess = fork(path.resolve(BENCH_DIR, file), [], {
    cwd: path.dirname(BENCH_DIR),
    execArgv,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let seq = 0;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then((code) => {
    for (const p of pending.values()) p.reject(new Error(`${opts.name} exited (${code}); see ${opts.logFile}`));
    pending.clear();
  });
  child.on('message', (msg: Reply) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if ('error' in msg) p.reject(new Error(`${opts.name}: ${msg.error}`));
    else p.resolve(msg.result);
  });
  const ready = new Promise<unknown>((resolve, reject) => pending.set(0, { resolve, reject }));
  const call = <T>(op: string, args?: unknown) =>
    new Promise<T>((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, op, args } satisfies Request);
    });
  await ready;
  return {
    pid: child.pid!,
    call,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null) return;
      await call('stop').catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Child side: tells the parent it is ready, then answers its operations with `handlers`;
 * `stop` ends the process once its handler is done.
 */
export function serve(handlers: Record<string, (args: any) => Promise<unknown> | unknown>): void {
  process.on('message', (msg: Request) => {
    const handler = handlers[msg.op];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown operation ${msg.op}`);
        return handler(msg.args);
      })
      .then(
        (result) => {
          process.send!({ id: msg.id, result: result ?? null } satisfies Reply, () => {
            if (msg.op === 'stop') process.exit(0);
          });
        },
        (err: unknown) => process.send!({ id: msg.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies Reply),
      );
  });
  // The parent went away (bench interrupted): do not linger.
  process.on('disconnect', () => process.exit(0));
  process.send!({ id: 0, result: 'ready' } satisfies Reply);
}
