import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
const hits = new Map<number, number>();
for (const s of p.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const pk = new Map<string, number>();
for (const [id, c] of hits) {
  const url: string = byId.get(id).callFrame.url;
  let k = byId.get(id).callFrame.functionName || '(anon)';
  if (url.includes('node_modules/')) { const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url); k = m![1]!; }
  else if (url.startsWith('node:')) k = 'node-internal';
  else if (url.includes('/work/main/')) k = url.replace(/.*\/work\/main\//, '').split('/').slice(0, 2).join('/');
  pk.set(k, (pk.get(k) ?? 0) + c);
}
const total = p.samples.length;
for (const [k, c] of [...pk].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((100 * c / total).toFixed(1).padStart(5), k);
