import { applyMigrations } from '../../src/db/migrate.js';
await applyMigrations(process.env.DB!);
