/**
 * `npm run bench [-- --quick] [-- --only=commands,reminders,dashboard,webhook,baselines]`:
 * measures SPEC section 6's quality bars against the local PostgreSQL and Redis, in a database
 * and key prefix of its own that are removed at the end. Each figure is the median (with min
 * and max) of several runs, printed beside a raw baseline measured in the same run, since these
 * machines are shared and noisy. The table is also written as JSON under bench/results/.
 * `BENCH_CPU_PROF=1` makes the child processes write CPU profiles to bench/results/profiles/.
 */
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createPrisma } from '../src/db/client.js';
import { bundle } from './lib/build.js';
import { startChild, type Child } from './lib/child.js';
import { createBenchEnv, dropStaleBenchDatabases, type BenchEnv } from './lib/env.js';
import { atMost, formatReport, machine, writeReport, type Figure, type Report, type Row } from './lib/report.js';
import { seedCommunes, seedDashboard } from './lib/seed.js';
import { repeat, type Spread } from './lib/stats.js';
import { bareDelayedLateness, bareTwoHop, bullAddBulk, bullAddSingle, bullProcess, pgTxRate, POOL_SIZE, prepareBareTables } from './scenarios/baselines.js';
import { commandRows } from './scenarios/commands.js';
import { dashboardLatency, rawDashboardLatency } from './scenarios/dashboard.js';
import { reminderRows } from './scenarios/reminders.js';
import { startWebhookRig } from './scenarios/webhook.js';

const quick = process.argv.includes('--quick');
/** The app child runs with the Node options the Dockerfile gives the deployed process. */
const DEPLOYED_NODE_OPTIONS = '--max-old-space-size=128';
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const want = (part: string) => !only || only.includes(part);
const RUNS = 3;

/** Sizes of each scenario, full and quick. */
const SIZE = quick
  ? {
      communes: 200, tasksPerCommune: 500, meetingsPerCommune: 50, pgSeconds: 1, addSingle: 1500, addBulk: 10_000, process: 1500,
      hopSeconds: 1, delayedSeconds: 1, httpSeconds: 1.5, commandBurst: 300, commandSeconds: 2, reminderBurst: 5_000, reminderLeadMs: 2000,
      reminderSteadySeconds: 2, reminderSteadyDeadlineMs: 4000, dashboardQueries: 200,
    }
  : {
      communes: 1000, tasksPerCommune: 1000, meetingsPerCommune: 50, pgSeconds: 3, addSingle: 5000, addBulk: 30_000, process: 10_000,
      hopSeconds: 5, delayedSeconds: 5, httpSeconds: 4, commandBurst: 2000, commandSeconds: 5, reminderBurst: 100_000, reminderLeadMs: 20_000,
      reminderSteadySeconds: 6, reminderSteadyDeadlineMs: 10_000, dashboardQueries: 500,
    };

const fig = (label: string, unit: string, value: Spread): Figure => ({ label, unit, value });
const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** What the sections share. */
interface Bench {
  env: BenchEnv;
  db: pg.Pool;
  redis: Redis;
  children: Child[];
  logFile: string;
  notes: string[];
  rows: Row[];
  /** Raw baselines by key, in print order. */
  base: Map<string, Figure>;
}

async function baselines(b: Bench): Promise<void> {
  const { env, db, redis } = b;
  log('baselines: PostgreSQL, BullMQ');
  const raw = await repeat(RUNS, async () => ({
    pgTx: await pgTxRate(db, SIZE.pgSeconds),
    add: await bullAddSingle(redis, env.prefix, SIZE.addSingle),
    bulk: await bullAddBulk(redis, env.prefix, SIZE.addBulk),
    c1: await bullProcess(env.redisUrl, redis, env.prefix, SIZE.process, 1),
    c10: await bullProcess(env.redisUrl, redis, env.prefix, SIZE.process, 10),
  }));
  const hop = await repeat(RUNS, () => bareTwoHop(env.redisUrl, redis, env.prefix, db, 200, SIZE.hopSeconds));
  const delayed = await repeat(RUNS, () => bareDelayedLateness(env.redisUrl, redis, env.prefix, 1000, SIZE.delayedSeconds));
  b.base.set('pgTx', fig(`bare 2-insert tx (${POOL_SIZE} conns)`, 'tx/s', raw.pgTx));
  b.base.set('add', fig('BullMQ add, one by one', 'jobs/s', raw.add));
  b.base.set('bulk', fig('BullMQ addBulk (1,000)', 'jobs/s', raw.bulk));
  b.base.set('c1', fig('BullMQ process, concurrency 1', 'jobs/s', raw.c1));
  b.base.set('c10', fig('BullMQ process, concurrency 10', 'jobs/s', raw.c10));
  b.base.set('hopP50', fig('bare 2 hops + tx @200/s, p50', 'ms', hop.p50));
  b.base.set('hopP99', fig('bare 2 hops + tx @200/s, p99', 'ms', hop.p99));
  b.base.set('delayedP50', fig('bare delayed job @1,000/s, p50 lateness', 'ms', delayed.p50));
  b.base.set('delayedP99', fig('bare delayed job @1,000/s, p99 lateness', 'ms', delayed.p99));
  const bulk = SIZE.reminderBurst;
  const t = raw.pgTx;
  b.base.set('pgTime', fig(`${bulk.toLocaleString('en-US')} bare 2-insert tx`, 's', { median: bulk / t.median, min: bulk / t.max, max: bulk / t.min, runs: t.runs.map((r) => bulk / r) }));
}

async function appScenarios(b: Bench): Promise<void> {
  const file = (await bundle('app-child.ts')) ?? 'app-child.ts';
  if (file.endsWith('.ts')) b.notes.push('app child ran through tsx (esbuild not found): its RSS includes the loader thread (~35 MB)');
  log(`app child: ${path.basename(file)}, log in ${b.logFile}`);
  const { env } = b;
  const appEnv = { DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix, LOG_LEVEL: 'warn', HTTP_PORT: '0', RATE_LIMIT_PER_MINUTE: '1000000' };
  const startApp = async () => {
    const child = await startChild(file, { name: 'app', logFile: b.logFile, env: { BENCH_ENV: JSON.stringify(appEnv), NODE_OPTIONS: DEPLOYED_NODE_OPTIONS } });
    b.children.push(child);
    return child;
  };
  if (want('commands')) {
    log('commands');
    const app = await startApp();
    const sizes = { runs: RUNS, burst: SIZE.commandBurst, alone: quick ? 50 : 100, steadyRate: 200, steadySeconds: SIZE.commandSeconds, communes: SIZE.communes, promotion: quick ? 300 : 1000 };
    b.rows.push(...(await commandRows(app, sizes, { pgTx: b.base.get('pgTx'), hopP50: b.base.get('hopP50'), hopP99: b.base.get('hopP99') }, b.notes, b.logFile)));
    await app.stop();
  }
  if (want('reminders')) {
    log('reminders');
    const sizes = { runs: RUNS, burst: SIZE.reminderBurst, leadMs: SIZE.reminderLeadMs, steadyRate: 1000, steadySeconds: SIZE.reminderSteadySeconds, steadyDeadlineMs: SIZE.reminderSteadyDeadlineMs, communes: SIZE.communes };
    const rig = { startApp, db: b.db, redisUrl: env.redisUrl, prefix: env.prefix };
    b.rows.push(...(await reminderRows(rig, sizes, { pgTime: b.base.get('pgTime'), delayedP50: b.base.get('delayedP50'), delayedP99: b.base.get('delayedP99') }, b.notes)));
  }
}

async function dashboardScenario(b: Bench): Promise<void> {
  log('dashboard');
  const prisma = createPrisma(b.env.databaseUrl, { max: 10 });
  await dashboardLatency(prisma, SIZE.communes, 50);
  const dash = await repeat(RUNS, async () => {
    const p = await dashboardLatency(prisma, SIZE.communes, SIZE.dashboardQueries);
    const r = await rawDashboardLatency(b.db, SIZE.communes, SIZE.dashboardQueries);
    return { p50: p.p50, p99: p.p99, rawP50: r.p50, rawP99: r.p99 };
  });
  await prisma.$disconnect();
  b.rows.push(
    { scenario: 'Dashboard', figure: fig('tableau p50', 'ms', dash.p50), baseline: fig('3 raw queries p50', 'ms', dash.rawP50), target: atMost(dash.p50, 5, '≤ 5 ms') },
    { scenario: 'Dashboard', figure: fig('tableau p99', 'ms', dash.p99), baseline: fig('3 raw queries p99', 'ms', dash.rawP99), target: atMost(dash.p99, 20, '≤ 20 ms') },
  );
  b.notes.push(`dashboard: ${SIZE.dashboardQueries} × ${RUNS} dashboards of random communes, one at a time, each in its own transaction (Prisma), beside the same 3 queries raw over pg`);
}

async function webhookScenario(b: Bench): Promise<void> {
  log('webhook ingress');
  const load = await startChild('load.ts', { name: 'load', logFile: b.logFile });
  b.children.push(load);
  const rig = await startWebhookRig(b.env);
  const web = await repeat(RUNS, async (run) => {
    const { bare, hook, queued } = await rig.run(load, run, SIZE.httpSeconds, 16);
    if (queued !== hook.ok) b.notes.push(`webhook run ${run + 1}: ${hook.ok} answered 200 but ${queued} events queued`);
    if (hook.ok !== hook.requests) b.notes.push(`webhook run ${run + 1}: ${hook.requests - hook.ok} of ${hook.requests} not answered 200 (${JSON.stringify(hook.statuses)}, ${hook.errors} errors)`);
    return { bare: bare.rps, hook: hook.rps, bareP99: bare.p99, hookP99: hook.p99 };
  });
  await rig.close();
  await load.stop();
  b.base.set('http', fig('bare node:http server', 'req/s', web.bare));
  b.rows.push(
    { scenario: 'Webhook', figure: fig('Telegram update → 200, enqueued', 'req/s', web.hook), baseline: b.base.get('http')!, target: { text: '≥ 50 % of bare', met: web.hook.median / web.bare.median >= 0.5 } },
    { scenario: 'Webhook', figure: fig('p99 answer time', 'ms', web.hookP99), baseline: fig('bare node:http p99', 'ms', web.bareP99) },
  );
  b.notes.push(`webhook: ${SIZE.httpSeconds} s per run from a child process over 16 keep-alive connections (127.0.0.1), bare server then webhook, each update id unique; the web process (role web) runs no worker`);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  await dropStaleBenchDatabases();
  log(`mode ${quick ? 'quick' : 'full'}${only ? ` (only ${only.join(', ')})` : ''}: creating and migrating the bench database`);
  const env = await createBenchEnv();
  const b: Bench = {
    env,
    db: new pg.Pool({ connectionString: env.databaseUrl, max: POOL_SIZE }),
    redis: new Redis(env.redisUrl, { maxRetriesPerRequest: null }),
    children: [],
    logFile: path.join(os.tmpdir(), `pilote-bench-${process.pid}.log`),
    notes: [],
    rows: [],
    base: new Map(),
  };
  const stopAll = async () => {
    await Promise.allSettled(b.children.map((c) => c.stop(5000)));
    await b.db.end().catch(() => undefined);
    b.redis.disconnect();
    await env.cleanup();
  };
  const onSignal = () => void stopAll().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const t0 = performance.now();
    await seedCommunes(b.db, SIZE.communes);
    await seedDashboard(b.db, SIZE.communes, SIZE.tasksPerCommune, SIZE.meetingsPerCommune);
    await prepareBareTables(b.db);
    const tasks = (SIZE.communes * SIZE.tasksPerCommune).toLocaleString('en-US');
    const meetings = (SIZE.communes * SIZE.meetingsPerCommune).toLocaleString('en-US');
    log(`seeded ${SIZE.communes} communes, ${tasks} tasks, ${meetings} meetings in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    b.notes.push(
      `data: ${SIZE.communes} communes × 5 members (console identities), ${tasks} tasks, ${meetings} meetings` +
        (quick ? ' — quick mode: smaller than SPEC section 6 (1,000 communes, 1 M tasks, 50,000 meetings, 100,000 reminders)' : ''),
    );
    if (want('baselines')) await baselines(b);
    if (want('commands') || want('reminders')) await appScenarios(b);
    if (want('dashboard')) await dashboardScenario(b);
    if (want('webhook')) await webhookScenario(b);
    const report: Report = {
      mode: quick ? 'quick' : 'full',
      startedAt: startedAt.toISOString(),
      seconds: (Date.now() - startedAt.getTime()) / 1000,
      machine: machine(),
      baselines: [...b.base.values()],
      rows: b.rows,
      notes: b.notes,
    };
    process.stdout.write(`\n${formatReport(report)}\n`);
    log(`written to ${writeReport(report)}`);
  } finally {
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
