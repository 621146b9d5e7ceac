/**
 * The process under load: one Pilote `all` process (workers, scheduler, HTTP server) built with
 * `App` as `pilote start --role all` builds it, with the no-op adapter instead of a platform.
 * It plays the adapter too: synthetic `tache …` events from the bench members go through
 * `app.submit` (the inbound queue) and the no-op adapter notes when each reply arrives. It
 * samples its own memory, and counts its CPU time and SQL statements so that the bench can
 * say what one command or one reminder costs. The bench drives it over IPC (bench/lib/child.ts).
 *
 * Environment: BENCH_ENV, a JSON object of Pilote configuration variables.
 */
// First, as in bin/pilote.js: the V8 flags the deployed process runs with.
import '../bin/v8-flags.js';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import { Redis } from 'ioredis';
import pg from 'pg';
import { App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { transaction } from '../src/db/sql.js';
import type { InboundEvent, OutboundMessage } from '../src/core/types.js';
import { reconcileReminders } from '../src/jobs/reminders.js';
import { serve } from './lib/child.js';
import { cpuSnapshot, cpuSpent, type CpuSpent } from './lib/cpu.js';
import { benchMember } from './lib/seed.js';
import { nowMs, percentile, sleep, steady } from './lib/stats.js';
import { NoopAdapter } from './noop-adapter.js';

// Every SQL statement goes through pg.Client#query (Prisma's adapter included): count them.
let statements = 0;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: typeof query }).query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return query.apply(this, args);
};

// Every Redis command goes through Redis#sendCommand (BullMQ's connections and pipelines
// included): count them too, the other kind of round trip a command makes.
let redisCommands = 0;
const sendCommand = Redis.prototype.sendCommand as (...args: unknown[]) => unknown;
(Redis.prototype as unknown as { sendCommand: typeof sendCommand }).sendCommand = function (this: Redis, ...args: unknown[]) {
  redisCommands++;
  return sendCommand.apply(this, args);
};

// V8's mark-compacts (their pauses, in epoch ms, as nowMs gives): the 200/s runs say how many
// came and how many of the slowest commands were in flight around one (docs/performance.md,
// eighth round). An entry reaches the observer a turn or two of the event loop after its pause;
// `deliveries` polls every 20 ms, so a run's last ones are in when it is measured.
const markCompacts: { start: number; end: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
    if (e.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
    const start = performance.timeOrigin + e.startTime;
    markCompacts.push({ start, end: start + e.duration });
    if (markCompacts.length > 1000) markCompacts.shift();
  }
}).observe({ entryTypes: ['gc'] });
/** How long before a mark-compact's pause a command counts as in flight around it (ms): its marking runs before the pause. */
const BEFORE_PAUSE_MS = 50;
/** Where the promotion measure's short-lived filler goes (a module variable, so V8 keeps the allocations). */
let promotionFiller: unknown;

/** Deliveries the bench waits for: marker tag → (index → delivery time). */
const waiting = new Map<string, Map<number, number>>();
const MARKER = /\b(cmd|br)-(\d+)-(\d+)\b/;
/** Told of each delivery noted, by marker tag and index (the commands sent one at a time wait on it). */
let onNoted: ((key: string, i: number) => void) | undefined;

function onDelivered(message: OutboundMessage, at: number): void {
  const m = MARKER.exec(message.text);
  if (!m) return;
  const seen = waiting.get(`${m[1]}-${m[2]}`);
  if (seen && !seen.has(Number(m[3]))) {
    seen.set(Number(m[3]), at);
    onNoted?.(`${m[1]}-${m[2]}`, Number(m[3]));
  }
}

const config = loadConfig(JSON.parse(process.env.BENCH_ENV ?? '{}') as Record<string, string>);
const adapter = new NoopAdapter((_to, message, at) => onDelivered(message, at));
const app = App.create({ config, role: 'all', adapters: [adapter], http: true });
await app.start();

const MB = 1024 * 1024;
let peak = { rss: 0, heapUsed: 0, heapTotal: 0 };
const sample = () => {
  const m = process.memoryUsage();
  peak = { rss: Math.max(peak.rss, m.rss), heapUsed: Math.max(peak.heapUsed, m.heapUsed), heapTotal: Math.max(peak.heapTotal, m.heapTotal) };
};
const sampler = setInterval(sample, 50);
await sleep(500);
const idleRss = process.memoryUsage().rss;

/**
 * Runs `fn`, returning its result with the CPU milliseconds and SQL statements it took, and
 * the CPU milliseconds the machine, PostgreSQL and Redis spent meanwhile.
 */
async function costed<T>(fn: () => Promise<T>): Promise<T & { cpuMs: number; statements: number; spent: CpuSpent }> {
  const cpu0 = process.cpuUsage();
  const s0 = statements;
  const snap0 = cpuSnapshot();
  const out = await fn();
  const cpu = process.cpuUsage(cpu0);
  return { ...out, cpuMs: (cpu.user + cpu.system) / 1000, statements: statements - s0, spent: cpuSpent(snap0, cpuSnapshot()) };
}

/** The i-th synthetic command of run `tag`: a task creation by one of the members, in their direct chat. */
function commandEvent(tag: number, i: number, communes: number): InboundEvent {
  const c = 1 + (i % communes);
  const k = 1 + (Math.floor(i / communes) % 5);
  const { userId, chatId } = benchMember(c, k);
  return {
    kind: 'message',
    id: `bench-${tag}-${i}`,
    chat: { platform: 'console', workspace: '', chatId, isDirect: true },
    sender: { userId },
    at: new Date().toISOString(),
    text: `tache Réparer le lampadaire cmd-${tag}-${i} pour vendredi 17h`,
    addressed: true,
  };
}

/** Resolves once `count` deliveries of `key` arrived, or after `timeoutMs`; returns them. */
async function deliveries(key: string, count: number, timeoutMs: number): Promise<Map<number, number>> {
  const seen = waiting.get(key)!;
  const deadline = Date.now() + timeoutMs;
  while (seen.size < count && Date.now() < deadline) await sleep(20);
  waiting.delete(key);
  return seen;
}

serve({
  /** As many commands as the pipeline takes: `n` submitted by 64 concurrent callers. */
  burst: ({ tag, n, communes }: { tag: number; n: number; communes: number }) =>
    costed(async () => {
      waiting.set(`cmd-${tag}`, new Map());
      const started = nowMs();
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < n) await app.submit(commandEvent(tag, next++, communes));
        }),
      );
      const seen = await deliveries(`cmd-${tag}`, n, 120_000);
      const last = Math.max(...seen.values());
      return { delivered: seen.size, perSecond: (seen.size / (last - started)) * 1000 };
    }),

  /**
   * `n` commands one at a time, each sent once the one before was delivered and 5 ms have
   * passed: what a command costs where nothing shares its batch (latency from submit to
   * delivery; CPU milliseconds, SQL statements and Redis commands per command).
   */
  async alone({ tag, n, communes }: { tag: number; n: number; communes: number }) {
    const key = `cmd-${tag}`;
    waiting.set(key, new Map());
    const latencies: number[] = [];
    const cpu0 = process.cpuUsage();
    const [s0, r0] = [statements, redisCommands];
    for (let i = 0; i < n; i++) {
      const delivered = new Promise<boolean>((resolve) => {
        onNoted = (k, j) => k === key && j === i && resolve(true);
        setTimeout(() => resolve(false), 10_000).unref();
      });
      const submitted = nowMs();
      await app.submit(commandEvent(tag, i, communes));
      if (!(await delivered)) break;
      latencies.push(nowMs() - submitted);
      await sleep(5);
    }
    onNoted = undefined;
    waiting.delete(key);
    const cpu = process.cpuUsage(cpu0);
    const done = Math.max(1, latencies.length);
    return { delivered: latencies.length, p50: percentile(latencies, 50), cpuMs: (cpu.user + cpu.system) / 1000 / done, sql: (statements - s0) / done, redis: (redisCommands - r0) / done };
  },

  /**
   * Commands at a steady `rate` for `seconds`: latency from submit to delivery, and what the
   * process spent meanwhile (CPU milliseconds, SQL statements and Redis commands per command,
   * the share of the time its event loop was busy).
   */
  async steady({ tag, rate, seconds, communes }: { tag: number; rate: number; seconds: number; communes: number }) {
    waiting.set(`cmd-${tag}`, new Map());
    const total = Math.round(rate * seconds);
    const submittedAt: number[] = [];
    const cpu0 = process.cpuUsage();
    const [s0, r0] = [statements, redisCommands];
    const elu0 = performance.eventLoopUtilization();
    await steady(rate, total, (i) => {
      submittedAt[i] = nowMs();
      app.submit(commandEvent(tag, i, communes)).catch(() => undefined);
    });
    const seen = await deliveries(`cmd-${tag}`, total, 60_000);
    const cpu = process.cpuUsage(cpu0);
    const [sql, redis] = [(statements - s0) / total, (redisCommands - r0) / total];
    const busy = performance.eventLoopUtilization(elu0).utilization;
    const commands = [...seen].map(([i, at]) => ({ submitted: submittedAt[i]!, delivered: at, latency: at - submittedAt[i]! }));
    const latencies = commands.map((c) => c.latency);
    // Mark-compacts of the run, and which commands were in flight during one or in the 50 ms
    // before its pause: the slowest 1 % beside all of them (no figure when none was delivered).
    const [first, last] = [submittedAt[0]!, commands.length ? Math.max(...commands.map((c) => c.delivered)) : Number.NaN];
    const gcs = markCompacts.filter((g) => g.end >= first && g.start <= last);
    const nearGc = (c: (typeof commands)[number]) => gcs.some((g) => c.submitted <= g.end && c.delivered >= g.start - BEFORE_PAUSE_MS);
    const slowest = [...commands].sort((a, b) => b.latency - a.latency).slice(0, Math.max(1, Math.floor(commands.length / 100)));
    const share = (list: typeof commands) => (list.length ? list.filter(nearGc).length / list.length : Number.NaN);
    return {
      delivered: seen.size,
      total,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      cpuMs: (cpu.user + cpu.system) / 1000 / total,
      sql,
      redis,
      busy,
      markCompactsPerSecond: commands.length ? (gcs.length * 1000) / Math.max(1, last - first) : Number.NaN,
      slowestNearGc: share(slowest),
      allNearGc: share(commands),
    };
  },

  /**
   * Schedules the seeded reminders of run `tag` (`reconcileReminders`, as the scheduler does)
   * and waits for their delivery: lateness against each one's due time. Waits until all are
   * delivered, or `deadlineMs` after the last due time, or — when the rate so far cannot
   * deliver them all by then — `giveUpMs` after it, projecting the time at that rate.
   */
  reminders: (a: { tag: number; count: number; at0: number; spacingMs: number; deadlineMs: number; giveUpMs: number }) =>
    costed(async () => {
      const seen = new Map<number, number>();
      waiting.set(`br-${a.tag}`, seen);
      const t0 = nowMs();
      await reconcileReminders(app.services, app.queues, 6 * 3600_000, config.LATE_SUMMARY_HOURS * 3600_000);
      const scheduledAt = nowMs();
      const lastDue = a.at0 + (a.count - 1) * a.spacingMs;
      // Time after the last due time at which all would be delivered, at the rate seen so far.
      const projection = () => (seen.size ? (a.count / seen.size) * (nowMs() - a.at0) - (lastDue - a.at0) : Number.POSITIVE_INFINITY);
      for (;;) {
        await sleep(50);
        const since = nowMs() - lastDue;
        if (seen.size === a.count || since >= a.deadlineMs) break;
        if (since >= a.giveUpMs && projection() > a.deadlineMs * 1.5) break;
      }
      waiting.delete(`br-${a.tag}`);
      const end = nowMs();
      const projected = projection();
      // Reminders not delivered yet count as late as they are now (a lower bound).
      const lateness = Array.from({ length: a.count }, (_, i) => Math.max(0, (seen.get(i) ?? end) - (a.at0 + i * a.spacingMs)));
      return {
        reconcileMs: scheduledAt - t0,
        scheduledBeforeDue: scheduledAt <= a.at0,
        delivered: seen.size,
        allDeliveredAfterMs: seen.size === a.count ? Math.max(...seen.values()) - lastDue : Number.isFinite(projected) ? projected : null,
        projected: seen.size < a.count,
        p50: percentile(lateness, 50),
        p99: percentile(lateness, 99),
      };
    }),

  /**
   * What V8 promotes to its old generation per operation, the figure that does not move with
   * the machine's speed (docs/performance.md, ninth round): `n` operations of `kind` one after
   * the other, each followed by 25 kB of short-lived filler so that scavenges come at an even
   * pace, between two lines `promotion <tag> start|end` of the child's output. V8's
   * `--trace-gc-nvp`, on for the while, prints each scavenge's promoted bytes between them; the
   * bench reads them from the log (bench/scenarios/commands.ts). Kinds: `command` (submit, then
   * wait for the delivery), `transaction` (an empty Prisma interactive transaction, opened as Pilote opens them), `pg` (the
   * raw baseline: BEGIN, three SELECT and COMMIT on one `pg` connection).
   */
  async promotion({ kind, n, tag, communes }: { kind: 'command' | 'transaction' | 'pg'; n: number; tag: number; communes: number }) {
    const pool = kind === 'pg' ? new pg.Pool({ connectionString: config.DATABASE_URL, max: 1 }) : undefined;
    const key = `cmd-${tag}`;
    const once = async (i: number) => {
      if (kind === 'command') {
        const delivered = new Promise<void>((resolve) => {
          onNoted = (k, j) => k === key && j === i && resolve();
        });
        await app.submit(commandEvent(tag, i, communes));
        await delivered;
      } else if (kind === 'transaction') {
        await transaction(app.services.prisma, async () => undefined);
      } else {
        const c = await pool!.connect();
        try {
          for (const sql of ['BEGIN', 'SELECT 1', 'SELECT 2', 'SELECT 3', 'COMMIT']) await c.query(sql);
        } finally {
          c.release();
        }
      }
      for (let k = 0; k < 500; k++) promotionFiller = { k, a: [k, k] };
    };
    waiting.set(key, new Map());
    try {
      // A few first, so that the connection and the code paths are warm.
      for (let i = 0; i < 20; i++) await once(n + i);
      v8.setFlagsFromString('--trace-gc-nvp');
      process.stdout.write(`promotion ${tag} start\n`);
      for (let i = 0; i < n; i++) await once(i);
      process.stdout.write(`promotion ${tag} end\n`);
    } finally {
      v8.setFlagsFromString('--no-trace-gc-nvp');
      onNoted = undefined;
      waiting.delete(key);
      await pool?.end();
    }
    return { done: n };
  },

  /** Peak memory since the last reset (sampled every 50 ms, in MB), and the RSS at start. */
  memory({ reset }: { reset?: boolean } = {}) {
    sample();
    const out = { rss: peak.rss / MB, heapUsed: peak.heapUsed / MB, heapTotal: peak.heapTotal / MB, idleRss: idleRss / MB };
    if (reset) peak = { rss: 0, heapUsed: 0, heapTotal: 0 };
    return out;
  },

  async stop() {
    clearInterval(sampler);
    await app.stop(5000);
  },
});
