/**
 * Command pipeline and memory (SPEC section 6, rows 1 and 5), driven in the app child: bursts
 * of `tache …` commands for the sustained rate, a steady 200 commands/s for the latency from
 * submit to delivery, and the child's peak RSS over each run.
 */
import type { Child } from '../lib/child.js';
import { atLeast, atMost, type Figure, type Row } from '../lib/report.js';
import { repeat, type Spread } from '../lib/stats.js';

/** Sizes of the command scenario. */
export interface CommandSizes {
  runs: number;
  burst: number;
  steadyRate: number;
  steadySeconds: number;
  communes: number;
}

/** Raw baselines the command rows are shown beside. */
export interface CommandBaselines {
  pgTx: Figure | undefined;
  hopP50: Figure | undefined;
  hopP99: Figure | undefined;
}

const MB = 1024 * 1024;

/** Runs the scenario; `tagBase` keeps markers unique across calls. */
export async function commandRows(app: Child, sizes: CommandSizes, base: CommandBaselines, notes: string[]): Promise<Row[]> {
  let incomplete = 0;
  const r = await repeat(sizes.runs, async (run) => {
    await app.call('memory', { reset: true });
    const burst = await app.call<{ delivered: number; perSecond: number }>('burst', { tag: 100 + run, n: sizes.burst, communes: sizes.communes });
    const lat = await app.call<{ delivered: number; total: number; p50: number; p99: number }>('steady', {
      tag: 200 + run,
      rate: sizes.steadyRate,
      seconds: sizes.steadySeconds,
      communes: sizes.communes,
    });
    const mem = await app.call<{ peak: number; idle: number }>('memory', {});
    incomplete += sizes.burst - burst.delivered + (lat.total - lat.delivered);
    return { rate: burst.perSecond, p50: lat.p50, p99: lat.p99, peak: mem.peak / MB, idle: mem.idle / MB };
  });
  if (incomplete > 0) notes.push(`commands: ${incomplete} command(s) were not delivered within the time limit`);
  notes.push(
    `commands: ${sizes.runs} runs of ${sizes.burst.toLocaleString('en-US')} commands as fast as they go, then ${sizes.steadyRate}/s for ${sizes.steadySeconds} s, ` +
      `from 5 members of each of ${sizes.communes} communes; app child with WORKER_CONCURRENCY 8 (default); RSS is the app child's (pilote start --role all style)`,
  );
  const fig = (label: string, unit: string, value: Spread): Figure => ({ label, unit, value });
  const rate = fig('sustained', 'cmd/s', r.rate);
  const p50 = fig('p50 submit→delivered @200/s', 'ms', r.p50);
  const p99 = fig('p99 submit→delivered @200/s', 'ms', r.p99);
  const peak = fig('peak RSS under command load', 'MB', r.peak);
  return [
    { scenario: 'Commands', figure: rate, baseline: base.pgTx, target: atLeast(r.rate, 1000, '≥ 1,000 cmd/s') },
    { scenario: 'Commands', figure: p50, baseline: base.hopP50 },
    { scenario: 'Commands', figure: p99, baseline: base.hopP99, target: atMost(r.p99, 50, '≤ 50 ms') },
    { scenario: 'Memory', figure: peak, baseline: fig('idle RSS at start', 'MB', r.idle), target: atMost(r.peak, 200, '≤ 200 MB') },
  ];
}
