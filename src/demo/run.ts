/**
 * `pilote demo` / `npm run demo`: the demo commune in the terminal, as its mayor, through the
 * whole event flow (queues, workers, outbox) with the console adapter.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ConsoleAdapter } from '../../adapters/console/index.js';
import { App } from '../app.js';
import { loadConfig } from '../config.js';
import { createPrisma, type PrismaClient } from '../db/client.js';
import { applyMigrations } from '../db/migrate.js';
import { DEMO_USERS, seedDemo } from '../db/seed.js';
import { t } from '../i18n/index.js';
import { createLogger } from '../logger.js';
import { exitOnSignals } from '../main.js';
import { findDemoServices, NoRedisError } from './services.js';

/** Runs the demo on `input`/`output` until the input ends; returns the exit code. */
export async function runDemo(env: NodeJS.ProcessEnv, io: { input: Readable; output: Writable; error: Writable }): Promise<number> {
  const dataDir = env.PILOTE_DATA_DIR ?? join(process.cwd(), '.pilote-data');
  let services;
  try {
    services = await findDemoServices(env, dataDir);
  } catch (err) {
    if (err instanceof NoRedisError) {
      io.error.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const logger = createLogger(env.LOG_LEVEL ?? 'info', createWriteStream(join(dataDir, 'demo.log'), { flags: 'a' }));
  let prisma: PrismaClient;
  let databaseUrl: string | undefined;
  if (services.database.kind === 'postgres') {
    databaseUrl = services.database.url;
    await applyMigrations(databaseUrl, { log: (line) => logger.info(line) });
    prisma = createPrisma(databaseUrl, { max: 6 });
  } else {
    const { preparePglite } = await import('../db/pglite.js');
    prisma = await preparePglite(services.database.dataDir, (line) => logger.info(line));
  }
  const config = loadConfig({
    ...env,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    REDIS_URL: services.redisUrl,
    REDIS_PREFIX: env.REDIS_PREFIX ?? 'pilote-demo',
    PILOTE_ADAPTERS: 'console',
    WORKER_CONCURRENCY: env.WORKER_CONCURRENCY ?? '4',
  });
  const demo = await seedDemo(prisma, { now: new Date() });
  const locale = config.DEFAULT_LOCALE;

  let app: App | undefined;
  let finished!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finished = resolve));
  const adapter = new ConsoleAdapter({
    input: io.input,
    output: io.output,
    userId: 'maire',
    locale,
    settle: (id) => app!.settle(id),
    onEnd: () => finished(0),
  });
  app = App.create({ config, role: 'all', adapters: [adapter], logger, prisma, http: Boolean(env.HTTP_PORT) });
  const shutdown = async () => {
    await app!.stop(3000);
    await services.release();
  };
  exitOnSignals(shutdown, (msg) => logger.info(msg));
  await app.start();
  io.output.write(`${t(locale, 'demo.welcome', { commune: 'Saint-Pilote', insee: demo.insee, name: DEMO_USERS.maire.name })}\n`);
  const code = await done;
  await shutdown();
  return code;
}
