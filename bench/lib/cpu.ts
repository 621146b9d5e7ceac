/**
 * CPU time of the machine and of the PostgreSQL and Redis servers, read from `/proc` (Linux
 * only; elsewhere every figure is null), so that the bench can say what a command costs beyond
 * the app process: the database, Redis, and the machine as a whole.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU milliseconds spent so far: by the whole machine, and by the processes of each server. */
export interface CpuSnapshot {
  machine: number | null;
  byProcess: Map<number, { name: string; ms: number }>;
}

/** Clock ticks per second of `/proc` figures (USER_HZ, 100 on Linux). */
const TICK_MS = 10;
/**
 * Processes counted by name, as `/proc/<pid>/stat` gives it: every one of the machine, so what
 * other users of the same servers do during a run counts too.
 */
const SERVERS = new Set(['postgres', 'redis-server']);

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Takes a snapshot of the CPU time spent so far. */
export function cpuSnapshot(): CpuSnapshot {
  const stat = read('/proc/stat');
  // cpu  user nice system idle iowait irq softirq steal …: busy is all but idle, iowait and steal.
  const fields = stat?.split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number);
  const machine = fields ? (fields[0]! + fields[1]! + fields[2]! + fields[5]! + fields[6]!) * TICK_MS : null;
  const byProcess = new Map<number, { name: string; ms: number }>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    // not Linux
  }
  for (const pid of pids) {
    const line = read(`/proc/${pid}/stat`);
    if (!line) continue;
    const name = line.slice(line.indexOf('(') + 1, line.lastIndexOf(')'));
    if (!SERVERS.has(name)) continue;
    // After "(name) ": state is field 3; utime and stime are fields 14 and 15.
    const rest = line.slice(line.lastIndexOf(')') + 2).split(' ');
    byProcess.set(Number(pid), { name, ms: (Number(rest[11]) + Number(rest[12])) * TICK_MS });
  }
  return { machine, byProcess };
}

/** CPU milliseconds spent between two snapshots: by the machine, PostgreSQL and Redis. */
export interface CpuSpent {
  machine: number | null;
  postgres: number | null;
  redis: number | null;
}

/**
 * What was spent from `before` to `after`. A server process that started in between counts
 * whole; one that ended in between is lost (PostgreSQL backends of a pool live as long as it).
 */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot): CpuSpent {
  if (after.machine === null || before.machine === null) return { machine: null, postgres: null, redis: null };
  const sums: Record<string, number> = { postgres: 0, 'redis-server': 0 };
  for (const [pid, p] of after.byProcess) sums[p.name]! += p.ms - (before.byProcess.get(pid)?.ms ?? 0);
  return { machine: after.machine - before.machine, postgres: sums.postgres!, redis: sums['redis-server']! };
}

/** "the machine X ms (PostgreSQL Y, Redis Z) per `unit`", from medians; "" off Linux. */
export function describeSpent(unit: string, machine: number, postgres: number, redis: number): string {
  if (!Number.isFinite(machine)) return '';
  return `; meanwhile the machine as a whole spent ${machine.toFixed(2)} ms of CPU per ${unit} (PostgreSQL ${postgres.toFixed(2)}, Redis ${redis.toFixed(2)}; the rest is the app, the bench and the system)`;
}

/** Per-unit figures of a {@link CpuSpent}, NaN where unknown (so that medians skip nothing silently). */
export function perUnit(spent: CpuSpent, units: number): { machine: number; postgres: number; redis: number } {
  const u = Math.max(1, units);
  return { machine: (spent.machine ?? Number.NaN) / u, postgres: (spent.postgres ?? Number.NaN) / u, redis: (spent.redis ?? Number.NaN) / u };
}
