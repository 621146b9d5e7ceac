#!/usr/bin/env node
// The `pilote` command. A checkout runs the TypeScript sources through tsx; the Docker image,
// which ships only the compiled code, runs dist/. V8's settings come first (bin/v8-flags.js).
import './v8-flags.js';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}src/cli.ts`;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(`${root}dist/src/cli.js`).href);
}
