/**
 * `tsx bench/profile.ts <file.cpuprofile> [n]`: the top `n` functions of a V8 CPU profile (as
 * written by `BENCH_CPU_PROF=1 npm run bench`) by self time and by total time, with the share
 * of samples, and self time by npm package, so a cost can be found without opening DevTools.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

process.stdout.on('error', () => process.exit(0)); // piped into head
const [file, n = '25'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/profile.ts <file.cpuprofile> [n]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const hits = new Map<number, number>();
for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);

const label = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^file:\/\//, '').split('node_modules/').pop()!.replace(process.cwd() + path.sep, '')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
};
const self = new Map<string, number>();
const total = new Map<string, number>();
for (const [id, count] of hits) {
  const seen = new Set<string>();
  self.set(label(byId.get(id)!), (self.get(label(byId.get(id)!)) ?? 0) + count);
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const l = label(byId.get(at)!);
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + count);
  }
}
const all = profile.samples.length;
const show = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title} (${all} samples)\n`);
  for (const [l, c] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) process.stdout.write(`${((100 * c) / all).toFixed(1).padStart(5)} %  ${l}\n`);
};
/** Where a frame's code lives: its npm package, the project's own code, or the runtime. */
const owner = (node: ProfileNode) => {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  return url.startsWith('node:') ? 'node:*' : 'project';
};
const byOwner = new Map<string, number>();
for (const [id, count] of hits) {
  const o = owner(byId.get(id)!);
  byOwner.set(o, (byOwner.get(o) ?? 0) + count);
}
show('self time by package', byOwner);
show('self time', self);
show('total time', total);
