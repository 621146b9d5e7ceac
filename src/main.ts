/**
 * Process entry for `pilote start`: configuration → dependencies → adapters, workers and
 * periodic jobs by role; SIGTERM/SIGINT drain in-flight jobs and exit within 10 s.
 */
import { App, type ProcessRole } from './app.js';
import type { Config } from './config.js';
import { prismaAdapterStore, prismaLinkedUserCheck } from './db/adapter-state.js';
import { createLogger } from './logger.js';
import { createAdapters } from './platforms.js';

/** Hard limit for a graceful stop (SPEC section 4). */
const EXIT_DEADLINE_MS = 9_500;

/** Installs SIGTERM/SIGINT handlers that stop `app` and exit, within 10 s whatever happens. */
export function exitOnSignals(stop: () => Promise<void>, log: (msg: string) => void): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received: draining`);
    setTimeout(() => process.exit(1), EXIT_DEADLINE_MS).unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/** Runs `pilote start --role <role>` until a signal (or the console's end of input). */
export async function start(config: Config, role: ProcessRole): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  let app: App | undefined;
  // Adapters are built before the app connects: they reach the database through it once started.
  const prisma = () => app!.services.prisma;
  const adapters = await createAdapters(config, {
    store: prismaAdapterStore(prisma),
    isLinkedUser: prismaLinkedUserCheck(prisma),
    settle: (id) => app!.settle(id),
    onConsoleEnd: () => void app?.stop().then(() => process.exit(0)),
    ...(process.env.PILOTE_CONSOLE_USER ? { consoleUser: process.env.PILOTE_CONSOLE_USER } : {}),
  });
  app = App.create({ config, role, adapters, logger });
  exitOnSignals(() => app!.stop(), (msg) => logger.info(msg));
  await app.start();
}
