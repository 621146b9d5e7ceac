/**
 * bin/v8-flags.js: the V8 flags every Pilote process runs with, set by the `pilote` command
 * (bin/pilote.js) before anything else loads. V8 reports its pretenuring decisions when asked
 * (`--trace-pretenuring-statistics`); a young generation of 1 MB makes it decide within a
 * second on a workload of long-lived literals.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, runNode } from '../helpers/cli.js';

const FLAGS_MODULE = fileURLToPath(new URL('../../bin/v8-flags.js', import.meta.url));
const APP = fileURLToPath(new URL('../../src/app.ts', import.meta.url));
const TRACE = ['--trace-pretenuring', '--trace-pretenuring-statistics', '--max-semi-space-size=1'];

/** Objects from one literal site that all outlive their young-generation collections. */
const WORKLOAD = `
const keep = [];
const make = (i) => { const o = { a: [0, 0], b: { x: 0, y: 'z' } }; o.a[0] = i; return o; };
for (let r = 0; r < 40; r++) {
  for (let i = 0; i < 20000; i++) keep.push(make(i));
  await new Promise((res) => setImmediate(res));
}
console.log('kept', keep.length);`;

/** `node <args>`, with what it printed on either stream. */
async function node(args: string[]): Promise<{ code: number | null; out: string }> {
  const run = await runNode(args, {});
  return { code: run.code, out: run.stdout + run.stderr };
}

/** Sites V8 decided to allocate in the old generation, as its trace reports them. */
const tenured = (out: string) => out.split('\n').filter((l) => /pretenuring: AllocationSite.*=> tenure$/.test(l)).length;

describe('V8 flags of a Pilote process', () => {
  it('turns allocation-site pretenuring off: V8 tenures no site, where it would without the module', async () => {
    const without = await node([...TRACE, '--input-type=module', '-e', WORKLOAD]);
    expect(without.out).toContain('kept 800000');
    // The control: the workload does get its sites tenured when the flags are not set.
    expect(tenured(without.out)).toBeGreaterThan(0);

    const withFlags = await node([...TRACE, '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(FLAGS_MODULE).href)});\n${WORKLOAD}`]);
    expect(withFlags.out).toContain('kept 800000');
    expect(tenured(withFlags.out)).toBe(0);
  });

  it('are set by the pilote command before it loads anything else', async () => {
    // Loading Pilote (tsx compiling the sources, Prisma's client, the adapters) is itself a
    // workload of long-lived literals: loaded without the command, V8 tenures some of its
    // sites; through the command, which sets the flags first, none.
    const direct = await node([...TRACE, '--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(APP).href)}); console.log('loaded');`]);
    expect(direct.out).toContain('loaded');
    expect(tenured(direct.out)).toBeGreaterThan(0);

    const run = await node([...TRACE, BIN, '--help']);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toContain('Usage: pilote');
    expect(tenured(run.out)).toBe(0);
  });
});
