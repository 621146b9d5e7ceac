/**
 * Natural batching of asynchronous calls (job processors, statements of a transaction): items
 * that arrive while batches are being handled (or
 * within `lingerMs` of the first; 0: in the same turn of the event loop) are handled together
 * in the next one, at most `max` at once and `parallel` batches at a time. A busy worker then
 * pays one transaction for many jobs; a quiet one handles each job alone, at most `lingerMs`
 * later. `run` answers for each item in order; if it throws, every item of that batch gets the
 * error.
 *
 * With `parallelFrom`, a batch starts beside a running one only once that many items wait
 * (default 1: any); fewer wait for the running batches to end and then go together. Under a
 * steady trickle the items then share batches instead of each paying a batch of its own on the
 * same event loop, while a burst still runs `parallel` batches at a time (docs/performance.md,
 * tenth round).
 */
export function batcher<I, O>(
  opts: { max: number; lingerMs: number; parallel?: number; parallelFrom?: number },
  run: (items: I[]) => Promise<O[]>,
): (item: I) => Promise<O> {
  const { max, lingerMs, parallel = 1, parallelFrom = 1 } = opts;
  const waiting: { item: I; resolve: (out: O) => void; reject: (err: unknown) => void }[] = [];
  let running = 0;
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;

  /** Whether another batch may start now: a free slot, and beside a running one, enough items. */
  const mayStart = () => running < parallel && (running === 0 || waiting.length >= parallelFrom);

  const drain = async () => {
    if (lingerMs > 0) clearTimeout(timer as NodeJS.Timeout);
    else clearImmediate(timer as NodeJS.Immediate);
    timer = undefined;
    if (!mayStart() || waiting.length === 0) return;
    running++;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, max);
      // Another batch may start on what is left while this one runs.
      if (waiting.length > 0) void drain();
      try {
        const out = await run(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(out[i]!));
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    running--;
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      // Otherwise a running batch takes it when it ends.
      if (!mayStart()) return;
      if (waiting.length >= max) void drain();
      else timer ??= lingerMs > 0 ? setTimeout(() => void drain(), lingerMs) : setImmediate(() => void drain());
    });
}
