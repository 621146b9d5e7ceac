/**
 * Command pipeline and memory (SPEC section 6, rows 1 and 5), driven in the app child: after an
 * uncounted warm-up burst, bursts of `tache …` commands for the sustained rate, a steady 200
 * commands/s for the latency from submit to delivery (with the child's CPU, SQL statements and
 * Redis commands per command and how busy its event loop was meanwhile), commands one at a time
 * for what a command costs alone, and the child's peak RSS over each run. Last, what V8 promotes
 * to its old generation per command, beside a bare `pg` transaction: the figure that does not
 * move with the machine's speed, and what drives the mark-compacts the slowest commands wait for
 * (docs/performance.md, eighth and ninth rounds).
 */
import { readFileSync } from 'node:fs';
import type { Child } from '../lib/child.js';
import { atLeast, atMost, type Figure, type Row } from '../lib/report.js';
import { describeSpent, perUnit, type CpuSpent } from '../lib/cpu.js';
import { repeat, type Spread } from '../lib/stats.js';

/** Sizes of the command scenario. */
export interface CommandSizes {
  runs: number;
  burst: number;
  /** Commands sent one at a time per run. */
  alone: number;
  steadyRate: number;
  steadySeconds: number;
  communes: number;
  /** Operations of each kind per promotion measure. */
  promotion: number;
}

/** Raw baselines the command rows are shown beside. */
export interface CommandBaselines {
  pgTx: Figure | undefined;
  hopP50: Figure | undefined;
  hopP99: Figure | undefined;
}

/**
 * Bytes V8 promoted per operation between the app child's lines `promotion <tag> start` and
 * `… end` in the log's `lines`: the sum of `promoted=` over the scavenges (`gc=s`) that
 * `--trace-gc-nvp` printed between them, divided by `n`.
 */
function promotedPerOperation(lines: string[], logFile: string, tag: number, n: number): number {
  const start = lines.indexOf(`promotion ${tag} start`);
  const end = lines.indexOf(`promotion ${tag} end`, start);
  if (start < 0 || end < 0) throw new Error(`promotion ${tag}: no markers in ${logFile}`);
  let promoted = 0;
  for (const line of lines.slice(start + 1, end)) {
    if (!/\bgc=s\b/.test(line)) continue;
    promoted += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? 0);
  }
  return promoted / n;
}

/** Runs the scenario; `logFile` is where the app child's output goes. */
export async function commandRows(app: Child, sizes: CommandSizes, base: CommandBaselines, notes: string[], logFile: string): Promise<Row[]> {
  let incomplete = 0;
  // One burst first, not counted: the measured runs see a process past its start (code compiled
  // by V8, statements prepared on the pool's connections, the communes' rows in PostgreSQL's
  // cache), as a bot that has been up for a while is. The first of three runs was otherwise
  // about a third slower than the two after it.
  const warm = await app.call<{ delivered: number; perSecond: number }>('burst', { tag: 99, n: sizes.burst, communes: sizes.communes });
  incomplete += sizes.burst - warm.delivered;
  const r = await repeat(sizes.runs, async (run) => {
    await app.call('memory', { reset: true });
    const burst = await app.call<{ delivered: number; perSecond: number; cpuMs: number; statements: number; spent: CpuSpent }>('burst', { tag: 100 + run, n: sizes.burst, communes: sizes.communes });
    const lat = await app.call<{
      delivered: number;
      total: number;
      p50: number;
      p99: number;
      cpuMs: number;
      sql: number;
      redis: number;
      busy: number;
      markCompactsPerSecond: number;
      slowestNearGc: number;
      allNearGc: number;
    }>('steady', {
      tag: 200 + run,
      rate: sizes.steadyRate,
      seconds: sizes.steadySeconds,
      communes: sizes.communes,
    });
    const alone = await app.call<{ delivered: number; p50: number; cpuMs: number; sql: number; redis: number }>('alone', { tag: 300 + run, n: sizes.alone, communes: sizes.communes });
    const mem = await app.call<{ rss: number; heapUsed: number; heapTotal: number; idleRss: number }>('memory', {});
    incomplete += sizes.burst - burst.delivered + (lat.total - lat.delivered) + (sizes.alone - alone.delivered);
    return {
      rate: burst.perSecond,
      cpu: burst.cpuMs / burst.delivered,
      sql: burst.statements / burst.delivered,
      ...perUnit(burst.spent, burst.delivered),
      p50: lat.p50,
      p99: lat.p99,
      steadyCpu: lat.cpuMs,
      steadySql: lat.sql,
      steadyRedis: lat.redis,
      steadyBusy: lat.busy,
      markCompacts: lat.markCompactsPerSecond,
      slowestNearGc: lat.slowestNearGc,
      allNearGc: lat.allNearGc,
      aloneP50: alone.p50,
      aloneCpu: alone.cpuMs,
      aloneSql: alone.sql,
      aloneRedis: alone.redis,
      peak: mem.rss,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      idle: mem.idleRss,
    };
  });
  // What V8 promotes per operation, in the same child once the runs are done; the log is read
  // once, after all of them.
  const kinds = ['command', 'transaction', 'pg'] as const;
  const tag = (run: number, k: number) => 400 + run * kinds.length + k;
  for (let run = 0; run < sizes.runs; run++) {
    for (const [k, kind] of kinds.entries()) await app.call('promotion', { kind, n: sizes.promotion, tag: tag(run, k), communes: sizes.communes });
  }
  const log = readFileSync(logFile, 'utf8').split('\n');
  const promoted = await repeat(sizes.runs, async (run) => {
    const kb = (k: number) => promotedPerOperation(log, logFile, tag(run, k), sizes.promotion) / 1000;
    return { command: kb(0), transaction: kb(1), pg: kb(2) };
  });
  if (incomplete > 0) notes.push(`commands: ${incomplete} command(s) were not delivered within the time limit`);
  notes.push(
    `commands: after one uncounted warm-up burst (${warm.perSecond.toFixed(0)} cmd/s), ${sizes.runs} runs of ${sizes.burst.toLocaleString('en-US')} commands as fast as they go, then ${sizes.steadyRate}/s for ${sizes.steadySeconds} s, ` +
      `from 5 members of each of ${sizes.communes} communes, in an app child (pilote start --role all style, WORKER_CONCURRENCY 8); ` +
      `one command costs the app process ${r.cpu.median.toFixed(1)} ms of CPU and ${r.sql.median.toFixed(1)} SQL statements (medians, delivery included)` +
      describeSpent('command', r.machine.median, r.postgres.median, r.redis.median),
  );
  notes.push(
    `commands at ${sizes.steadyRate}/s: one command costs the app process ${r.steadyCpu.median.toFixed(1)} ms of CPU (${r.steadyCpu.min.toFixed(1)}–${r.steadyCpu.max.toFixed(1)}), ` +
      `${r.steadySql.median.toFixed(1)} SQL statements and ${r.steadyRedis.median.toFixed(1)} Redis commands (medians), where batches are small, ` +
      `and its event loop is busy ${(r.steadyBusy.median * 100).toFixed(0)} % of the time (${(r.steadyBusy.min * 100).toFixed(0)}–${(r.steadyBusy.max * 100).toFixed(0)}; the busier, the longer each round trip of a command waits for its turn)`,
  );
  const pct = (s: Spread) => `${(s.median * 100).toFixed(0)} % (${(s.min * 100).toFixed(0)}–${(s.max * 100).toFixed(0)})`;
  notes.push(
    `commands at ${sizes.steadyRate}/s: V8 ran ${r.markCompacts.median.toFixed(1)} mark-compacts a second (${r.markCompacts.min.toFixed(1)}–${r.markCompacts.max.toFixed(1)}); ` +
      `${pct(r.slowestNearGc)} of the slowest 1 % of commands (${Math.max(1, Math.floor((sizes.steadyRate * sizes.steadySeconds) / 100))} a run) were in flight during one or in the 50 ms before its pause, ` +
      `against ${pct(r.allNearGc)} of all commands (medians, min–max)`,
  );
  notes.push(
    `commands one at a time (${sizes.alone} per run, each once the one before was delivered): ${r.aloneP50.median.toFixed(1)} ms from submit to delivery (median; ${r.aloneP50.min.toFixed(1)}–${r.aloneP50.max.toFixed(1)}), ` +
      `and a command costs the app process ${r.aloneCpu.median.toFixed(1)} ms of CPU, ${r.aloneSql.median.toFixed(1)} SQL statements and ${r.aloneRedis.median.toFixed(1)} Redis commands: the fixed cost of a batch of one`,
  );
  notes.push(
    `promotion: ${sizes.promotion.toLocaleString('en-US')} operations of each kind one after the other, each followed by 25 kB of short-lived filler, in the app child after its runs; ` +
      `V8 promoted ${promoted.command.median.toFixed(1)} kB to its old generation per command, submit to delivery (${promoted.command.min.toFixed(1)}–${promoted.command.max.toFixed(1)}), ` +
      `${promoted.transaction.median.toFixed(1)} kB per empty Prisma interactive transaction, ${promoted.pg.median.toFixed(1)} kB per bare pg transaction (BEGIN, three SELECT, COMMIT) (medians; --trace-gc-nvp)`,
  );
  notes.push(
    `memory: RSS sampled every 50 ms in the app child; V8's heap reached ${r.heapTotal.median.toFixed(0)} MB, of which ${r.heapUsed.median.toFixed(0)} MB in use at most (live objects and garbage not yet collected)`,
  );
  const fig = (label: string, unit: string, value: Spread): Figure => ({ label, unit, value });
  return [
    { scenario: 'Commands', figure: fig('sustained', 'cmd/s', r.rate), baseline: base.pgTx, target: atLeast(r.rate, 1000, '≥ 1,000 cmd/s') },
    { scenario: 'Commands', figure: fig('p50 submit→delivered @200/s', 'ms', r.p50), baseline: base.hopP50 },
    { scenario: 'Commands', figure: fig('p99 submit→delivered @200/s', 'ms', r.p99), baseline: base.hopP99, target: atMost(r.p99, 50, '≤ 50 ms') },
    { scenario: 'Commands', figure: fig('promoted to V8 old generation, per command', 'kB', promoted.command), baseline: fig('bare pg transaction, promoted', 'kB', promoted.pg) },
    { scenario: 'Memory', figure: fig('peak RSS under command load', 'MB', r.peak), baseline: fig('idle RSS at start', 'MB', r.idle), target: atMost(r.peak, 200, '≤ 200 MB') },
  ];
}
