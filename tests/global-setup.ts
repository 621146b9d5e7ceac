/**
 * Vitest global setup: rebuilds the migrated template database once per run, so that schema
 * changes are picked up; tests/helpers/db.ts copies it for each test file.
 */
import { runOnce, quoteIdent, withDatabase } from '../src/db/engine-adapters.js';
import { applyMigrations } from '../src/db/migrate.js';
import { SERVER_URL, TEMPLATE_DB } from './helpers/db.js';

/** Drops, recreates and migrates the template database. */
export default async function setup(): Promise<void> {
  const template = quoteIdent(TEMPLATE_DB);
  const found = await runOnce(SERVER_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [TEMPLATE_DB]);
  if (found.rowCount) {
    // A template database cannot be dropped; FORCE ends the sessions still on it.
    await runOnce(SERVER_URL, `ALTER DATABASE ${template} WITH IS_TEMPLATE false`);
    await runOnce(SERVER_URL, `DROP DATABASE ${template} WITH (FORCE)`);
  }
  await applyMigrations(withDatabase(SERVER_URL, TEMPLATE_DB));
  // CREATE DATABASE … TEMPLATE fails while any session is on the template: end the migration's
  // sessions that are still closing, and refuse new ones.
  await runOnce(SERVER_URL, `ALTER DATABASE ${template} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  await runOnce(
    SERVER_URL,
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [TEMPLATE_DB],
  );
}
