/**
 * The app child runs as production does (Dockerfile: compiled JavaScript, no TypeScript loader
 * in the process), so that its RSS is the deployed process's: bench/app-child.ts and the sources
 * are bundled with esbuild (tsx's own compiler) into node_modules/.cache, packages left external.
 * Without esbuild the child runs through tsx, whose loader thread adds some 35 MB of RSS.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { BENCH_DIR } from './child.js';

/** Bundles `entry` (relative to bench/); returns the .mjs path, or undefined when esbuild is missing. */
export async function bundle(entry: string): Promise<string | undefined> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  } catch {
    return undefined;
  }
  const root = path.dirname(BENCH_DIR);
  const outfile = path.join(root, 'node_modules', '.cache', 'pilote-bench', `${path.basename(entry, '.ts')}.mjs`);
  await esbuild.build({
    entryPoints: [path.join(BENCH_DIR, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}
