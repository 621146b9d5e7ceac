/**
 * Reminders (SPEC section 6, row 2): `count` reminders bulk-inserted due at one instant a few
 * seconds ahead, scheduled by `reconcileReminders` in the app child and fired by its
 * reminder worker through the outbox to the no-op adapter; then a steady 1,000 due per second.
 * A run that cannot make its target is cut short and its time projected at the rate seen; the
 * next run then starts in a fresh app child, from empty queues and no pending outbox row.
 */
import { Queue } from 'bullmq';
import type pg from 'pg';
import { OUTBOUND, REMINDERS } from '../../src/jobs/queues.js';
import type { Child } from '../lib/child.js';
import { atMost, type Figure, type Row } from '../lib/report.js';
import { clearReminders, seedReminders } from '../lib/seed.js';
import { describeSpent, perUnit, type CpuSpent } from '../lib/cpu.js';
import { repeat } from '../lib/stats.js';
import { redisOptions } from './baselines.js';

/** Sizes of the reminder scenario. */
export interface ReminderSizes {
  runs: number;
  burst: number;
  /** How far ahead of the insert the burst falls due (ms): time enough to schedule it. */
  leadMs: number;
  steadyRate: number;
  steadySeconds: number;
  /** How long after the last steady reminder's due time to wait for it. */
  steadyDeadlineMs: number;
  communes: number;
}

/** Raw baselines the reminder rows are shown beside. */
export interface ReminderBaselines {
  /** Seconds the bare 2-insert transaction rate needs for `burst` transactions. */
  pgTime: Figure | undefined;
  delayedP50: Figure | undefined;
  delayedP99: Figure | undefined;
}

interface Fired {
  cpuMs: number;
  spent: CpuSpent;
  statements: number;
  reconcileMs: number;
  scheduledBeforeDue: boolean;
  delivered: number;
  /** After the last due time; projected when not all were delivered; null when none was. */
  allDeliveredAfterMs: number | null;
  projected: boolean;
  p50: number;
  p99: number;
}

/** How to get a fresh app child, and where the bench's queues and rows live. */
export interface ReminderRig {
  startApp(): Promise<Child>;
  db: pg.Pool;
  redisUrl: string;
  prefix: string;
}

/** Empties the queues a reminder run fills and fails the outbox rows it left pending. */
async function reset(rig: ReminderRig): Promise<void> {
  for (const name of [REMINDERS, OUTBOUND]) {
    const q = new Queue(name, { connection: redisOptions(rig.redisUrl), prefix: rig.prefix });
    await q.obliterate({ force: true });
    await q.close();
  }
  await rig.db.query(`UPDATE "OutboxMessage" SET status = 'FAILED', "lastError" = 'bench reset' WHERE status = 'PENDING'`);
  await clearReminders(rig.db);
}

/** Runs the scenario. */
export async function reminderRows(rig: ReminderRig, sizes: ReminderSizes, base: ReminderBaselines, notes: string[]): Promise<Row[]> {
  let tag = 0;
  let projectedRuns = 0;
  let burstProjected = false;
  // One warmed-up app child serves the runs in turn; a run cut short leaves a backlog behind,
  // so the next one gets a fresh child and empty queues.
  let app: Child | undefined;
  const fresh = async (): Promise<Child> => {
    await reset(rig);
    const child = await rig.startApp();
    // A new process is slow at first (JIT, Prisma's query compiler): 200 reminders warm it up.
    const warm = Math.round(Date.now() + 200);
    await seedReminders(rig.db, { communes: sizes.communes, count: 200, tag: ++tag, at0: warm, spacingMs: 0 });
    await child.call('reminders', { tag, count: 200, at0: warm, spacingMs: 0, deadlineMs: 5000, giveUpMs: 5000 });
    await clearReminders(rig.db);
    return child;
  };
  const fire = async (count: number, leadMs: number, spacingMs: number, deadlineMs: number): Promise<Fired> => {
    app ??= await fresh();
    const at0 = Math.round(Date.now() + leadMs);
    await seedReminders(rig.db, { communes: sizes.communes, count, tag: ++tag, at0, spacingMs });
    // Past the deadline the target is missed anyway; a hopeless run stops at 40 % of it.
    const out = await app.call<Fired>('reminders', { tag, count, at0, spacingMs, deadlineMs, giveUpMs: Math.max(3000, deadlineMs * 0.4) });
    await clearReminders(rig.db);
    if (out.projected) {
      projectedRuns++;
      await app.stop(3000);
      app = undefined;
    }
    if (!out.scheduledBeforeDue) notes.push(`reminders run ${tag}: scheduling them took ${(out.reconcileMs / 1000).toFixed(1)} s, past their due time`);
    return out;
  };
  const limit = sizes.burst >= 100_000 ? 60 : (60 * sizes.burst) / 100_000;
  const burst = await repeat(sizes.runs, async () => {
    const out = await fire(sizes.burst, sizes.leadMs, 0, limit * 1000 + 3000);
    burstProjected ||= out.projected;
    return {
      all: (out.allDeliveredAfterMs ?? Number.POSITIVE_INFINITY) / 1000,
      p50: out.p50,
      p99: out.p99,
      reconcile: out.reconcileMs / 1000,
      cpu: out.cpuMs / Math.max(1, out.delivered),
      sql: out.statements / Math.max(1, out.delivered),
      ...perUnit(out.spent, out.delivered),
    };
  });
  const steadyCount = Math.round(sizes.steadyRate * sizes.steadySeconds);
  const steady = await repeat(sizes.runs, async () => {
    const out = await fire(steadyCount, 2000, 1000 / sizes.steadyRate, sizes.steadyDeadlineMs);
    return { p50: out.p50, p99: out.p99 };
  });
  await app?.stop(3000);
  await reset(rig);
  if (projectedRuns > 0) {
    notes.push(
      `reminders: ${projectedRuns} run(s) could not deliver everything in time and were cut short; their "all delivered after" is projected at the rate seen, ` +
        'and reminders not yet delivered count as late as they were when the run stopped (a lower bound of their lateness)',
    );
  }
  notes.push(
    `reminders: ${sizes.burst.toLocaleString('en-US')} due at one instant ${sizes.leadMs / 1000} s after insertion ` +
      `(reconcileReminders took ${burst.reconcile.median.toFixed(1)} s median to schedule them); steady: ${steadyCount.toLocaleString('en-US')} due ` +
      `${sizes.steadyRate}/s for ${sizes.steadySeconds} s; an app child warmed up by 200 reminders, replaced after a run cut short; lateness = delivery to the no-op adapter − due time; ` +
      `one reminder costs the app process ${burst.cpu.median.toFixed(2)} ms of CPU and ${burst.sql.median.toFixed(2)} SQL statements (medians, scheduling and delivery included)` +
      describeSpent('reminder', burst.machine.median, burst.postgres.median, burst.redis.median),
  );
  const n = sizes.burst.toLocaleString('en-US');
  return [
    {
      scenario: 'Reminders',
      figure: { label: `${n} due at once: all delivered after${burstProjected ? ' (projected)' : ''}`, unit: 's', value: burst.all },
      baseline: base.pgTime,
      target: atMost(burst.all, limit, sizes.burst >= 100_000 ? '≤ 60 s' : `≤ ${limit.toFixed(0)} s (60 s pro rata)`),
    },
    { scenario: 'Reminders', figure: { label: `${n} at once: p99 lateness${burstProjected ? ' (≥)' : ''}`, unit: 'ms', value: burst.p99 } },
    { scenario: 'Reminders', figure: { label: `p50 lateness @${sizes.steadyRate}/s`, unit: 'ms', value: steady.p50 }, baseline: base.delayedP50 },
    {
      scenario: 'Reminders',
      figure: { label: `p99 lateness @${sizes.steadyRate}/s`, unit: 'ms', value: steady.p99 },
      baseline: base.delayedP99,
      target: atMost(steady.p99, 1000, '≤ 1,000 ms'),
    },
  ];
}
