/** Small statistics for the benchmarks: percentiles, and the median/min/max of repeated runs. */

/** Median, min and max of one figure over several runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** The `p`-th percentile (0-100) of `values`, nearest-rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** The median, min and max of per-run figures. */
export function spread(runs: readonly number[]): Spread {
  return { median: percentile(runs, 50), min: Math.min(...runs), max: Math.max(...runs), runs: [...runs] };
}

/** Runs `fn` `times` times in a row and collects each named figure it returns as a {@link Spread}. */
export async function repeat<K extends string>(times: number, fn: (run: number) => Promise<Record<K, number>>): Promise<Record<K, Spread>> {
  const collected = {} as Record<K, number[]>;
  for (let run = 0; run < times; run++) {
    const figures = await fn(run);
    for (const [k, v] of Object.entries(figures) as [K, number][]) (collected[k] ??= []).push(v);
  }
  const out = {} as Record<K, Spread>;
  for (const [k, v] of Object.entries(collected) as [K, number[]][]) out[k] = spread(v);
  return out;
}

/** High-resolution wall clock in epoch milliseconds, comparable between processes of one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls `fire(i)` for i in [0, total) at `rate` per second (a 5 ms tick catches up on lag). */
export async function steady(rate: number, total: number, fire: (i: number) => void): Promise<void> {
  const started = performance.now();
  let next = 0;
  while (next < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (next < due) fire(next++);
    await sleep(5);
  }
}
