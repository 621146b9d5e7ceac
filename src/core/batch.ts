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
 * (default 1: any), or once the first of them has waited `parallelAfterMs`; fewer wait for the
 * running batches to end and then go together. Under a steady trickle the items then share
 * batches instead of each paying a batch of its own on the same event loop, while a burst still
 * runs `parallel` batches at a time, and a slow batch holds the others back no longer than
 * `parallelAfterMs` (docs/performance.md, tenth round).
 */
export function batcher<I, O>(
  opts: { max: number; lingerMs: number; parallel?: number; parallelFrom?: number; parallelAfterMs?: number },
  run: (items: I[]) => Promise<O[]>,
): (item: I) => Promise<O> {
  const { max, lingerMs, parallel = 1, parallelFrom = 1, parallelAfterMs } = opts;
  const waiting: { item: I; resolve: (out: O) => void; reject: (err: unknown) => void }[] = [];
  let running = 0;
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** Starts a batch beside the running ones for items that waited `parallelAfterMs`. */
  let overdue: NodeJS.Timeout | undefined;

  /** Whether another batch may start now: a free slot, and beside a running one, enough items (or `late` ones). */
  const mayStart = (late = false) => running < parallel && (running === 0 || late || waiting.length >= parallelFrom);

  /** Has what waits start beside the running batches once it has waited `parallelAfterMs`. */
  const startLater = () => {
    if (parallelAfterMs === undefined || overdue || waiting.length === 0 || running >= parallel) return;
    overdue = setTimeout(() => {
      overdue = undefined;
      void drain(true);
    }, parallelAfterMs);
  };

  const drain = async (late = false) => {
    if (lingerMs > 0) clearTimeout(timer as NodeJS.Timeout);
    else clearImmediate(timer as NodeJS.Immediate);
    timer = undefined;
    if (!mayStart(late) || waiting.length === 0) return;
    running++;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, max);
      clearTimeout(overdue);
      overdue = undefined;
      // Another batch may start on what is left while this one runs, now or later.
      if (waiting.length > 0) void drain();
      startLater();
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
      if (!mayStart()) {
        // A running batch takes it when it ends, or one starts beside it once it waited enough.
        startLater();
        return;
      }
      if (waiting.length >= max) void drain();
      else timer ??= lingerMs > 0 ? setTimeout(() => void drain(), lingerMs) : setImmediate(() => void drain());
    });
}
