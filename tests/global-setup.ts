/**
 * Vitest global setup: builds a migrated template database for this run (its own name, so
 * several runs on one machine do not trip over each other) and drops it at the end;
 * tests/helpers/db.ts copies it for each test file.
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { quoteIdent, runOnce, withDatabase } from '../src/db/engine-adapters.js';
import { applyMigrations } from '../src/db/migrate.js';
import { SERVER_URL } from './helpers/db.js';
import { alive } from './helpers/processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Name of this run's migrated template database. */
    pgTemplate: string;
  }
}

async function dropTemplate(name: string): Promise<void> {
  const template = quoteIdent(name);
  // A template database cannot be dropped; FORCE ends the sessions still on it.
  await runOnce(SERVER_URL, `ALTER DATABASE ${template} WITH IS_TEMPLATE false`);
  await runOnce(SERVER_URL, `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
}

/** Creates and migrates the template; returns the teardown that drops it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Templates left by runs that died (their process is gone) are dropped first.
  const stale = await runOnce(SERVER_URL, "SELECT datname FROM pg_database WHERE datname LIKE 'pilote_tpl_%'");
  for (const row of stale.rows as { datname: string }[]) {
    const pid = Number(row.datname.split('_')[2]);
    if (!alive(pid)) await dropTemplate(row.datname).catch(() => undefined);
  }
  const name = `pilote_tpl_${process.pid}_${randomBytes(3).toString('hex')}`;
  await applyMigrations(withDatabase(SERVER_URL, name));
  // CREATE DATABASE … TEMPLATE fails while any session is on the template: end the migration's
  // sessions that are still closing, and refuse new ones.
  await runOnce(SERVER_URL, `ALTER DATABASE ${quoteIdent(name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  await runOnce(SERVER_URL, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  project.provide('pgTemplate', name);
  return () => dropTemplate(name);
}
