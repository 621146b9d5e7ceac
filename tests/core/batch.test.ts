import { describe, expect, it } from 'vitest';
import { batcher } from '../../src/core/batch.js';

/** A batch runner that records the batches it was given and answers each item doubled. */
function recorder(delayMs = 5) {
  const batches: number[][] = [];
  const run = async (items: number[]) => {
    batches.push([...items]);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return items.map((i) => i * 2);
  };
  return { batches, run };
}

describe('batcher', () => {
  it('handles items submitted in the same turn of the event loop together when lingerMs is 0', async () => {
    const { batches, run } = recorder();
    const add = batcher({ max: 100, lingerMs: 0 }, run);
    const out = await Promise.all([1, 2, 3, 4].map(add));
    expect(out).toEqual([2, 4, 6, 8]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('gathers what arrives while a batch runs into the next one, and a lone item alone', async () => {
    const { batches, run } = recorder(20);
    const add = batcher({ max: 100, lingerMs: 0, parallel: 1 }, run);
    const first = add(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = await Promise.all([add(2), add(3), first]);
    expect(later).toEqual([4, 6, 2]);
    expect(batches).toEqual([[1], [2, 3]]);
    expect(await add(9)).toBe(18);
    expect(batches.at(-1)).toEqual([9]);
  });

  it('waits lingerMs for company, never puts more than max in a batch, runs at most `parallel` at once', async () => {
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const add = batcher({ max: 3, lingerMs: 10, parallel: 2 }, async (items: number[]) => {
      running++;
      most = Math.max(most, running);
      sizes.push(items.length);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running--;
      return items;
    });
    const early = add(0);
    await new Promise((resolve) => setTimeout(resolve, 2));
    const out = await Promise.all([early, ...Array.from({ length: 9 }, (_, i) => add(i + 1))]);
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.max(...sizes)).toBe(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    expect(most).toBe(2);
  });

  it('with parallelFrom, starts a batch beside a running one only once that many items wait', async () => {
    let running = 0;
    let most = 0;
    const batches: number[][] = [];
    const make = (full: boolean) =>
      batcher({ max: 3, lingerMs: 0, parallel: 3, parallelFrom: full ? 3 : 1 }, async (items: number[]) => {
        running++;
        most = Math.max(most, running);
        batches.push([...items]);
        // Long beside the 3 ms between the trickle's items, so that they come while it runs.
        await new Promise((resolve) => setTimeout(resolve, 60));
        running--;
        return items;
      });
    const trickle = async (add: (i: number) => Promise<number>) => {
      const out: Promise<number>[] = [add(1)];
      for (const i of [2, 3]) {
        await new Promise((resolve) => setTimeout(resolve, 3));
        out.push(add(i));
      }
      return Promise.all(out);
    };
    // A trickle while a batch runs: the items wait for it and go together.
    expect(await trickle(make(true))).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1], [2, 3]]);
    expect(most).toBe(1);
    // Without the option, each starts a batch of its own beside the running one.
    batches.length = 0;
    most = 0;
    expect(await trickle(make(false))).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1], [2], [3]]);
    expect(most).toBe(3);
    // A burst still runs batches side by side, each full.
    batches.length = 0;
    most = 0;
    const add = make(true);
    const first = add(0);
    await new Promise((resolve) => setTimeout(resolve, 3));
    expect(await Promise.all([first, ...Array.from({ length: 9 }, (_, i) => add(i + 1))])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches).toEqual([[0], [1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(most).toBe(3);
  });

  it('with parallelAfterMs, starts a batch beside a slow one once an item waited that long', async () => {
    const order = async (after?: number) => {
      const batches: number[][] = [];
      const done: number[] = [];
      const add = batcher({ max: 16, lingerMs: 0, parallel: 3, parallelFrom: 16, ...(after ? { parallelAfterMs: after } : {}) }, async (items: number[]) => {
        batches.push([...items]);
        // Item 0 makes a slow batch (a lock wait, a replay); the others are quick.
        await new Promise((resolve) => setTimeout(resolve, items.includes(0) ? 300 : 5));
        return items;
      });
      const slow = add(0).then((i) => done.push(i));
      await new Promise((resolve) => setTimeout(resolve, 5));
      await Promise.all([slow, ...[1, 2].map((i) => add(i).then((j) => done.push(j)))]);
      return { batches, done };
    };
    // Without it, the two wait for the slow batch to end.
    expect(await order()).toEqual({ batches: [[0], [1, 2]], done: [0, 1, 2] });
    // With it, they go together beside it, 20 ms later, and are done long before it.
    expect(await order(20)).toEqual({ batches: [[0], [1, 2]], done: [1, 2, 0] });
  });

  it('rejects every item of a failed batch and goes on with the next', async () => {
    let calls = 0;
    const add = batcher({ max: 10, lingerMs: 0 }, async (items: string[]) => {
      calls++;
      if (calls === 1) throw new Error('redis away');
      return items.map((s) => s.toUpperCase());
    });
    const failed = await Promise.allSettled([add('a'), add('b')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((failed[0] as PromiseRejectedResult).reason.message).toBe('redis away');
    expect(await add('c')).toBe('C');
  });
});
