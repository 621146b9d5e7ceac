/** Builds the adapters named in `PILOTE_ADAPTERS`. */
import { ConsoleAdapter } from '../adapters/console/index.js';
import { createMatrixAdapter } from '../adapters/matrix/index.js';
import { createSlackAdapter } from '../adapters/slack/index.js';
import { createTelegramAdapter } from '../adapters/telegram/index.js';
import { buildRouter } from './commands/index.js';
import type { Config } from './config.js';
import type { Adapter, AdapterStore, LinkedUserCheck } from './core/types.js';
import { createLogger } from './logger.js';

/** What adapters may need from the process that runs them. */
export interface AdapterHost {
  /** The app's settle function (console: print replies in order). */
  settle: (eventId: string) => Promise<void>;
  /** Called when the console's input ends. */
  onConsoleEnd?: () => void;
  consoleUser?: string;
  /** Persisted key/values for adapters (Matrix sync token, filter, login token). */
  store?: AdapterStore;
  /** Whether a platform account is linked to a member (Matrix group-room invites). */
  isLinkedUser?: LinkedUserCheck;
}

/** Creates one adapter per configured platform. */
export function createAdapters(config: Config, host: AdapterHost): Adapter[] {
  return config.PILOTE_ADAPTERS.map((platform): Adapter => {
    switch (platform) {
      case 'console':
        return new ConsoleAdapter({
          input: process.stdin,
          output: process.stdout,
          userId: host.consoleUser ?? 'maire',
          locale: config.DEFAULT_LOCALE,
          settle: host.settle,
          ...(host.onConsoleEnd ? { onEnd: host.onConsoleEnd } : {}),
        });
      case 'telegram':
        return createTelegramAdapter(config, { commands: buildRouter().commands, logger: createLogger(config.LOG_LEVEL) });
      case 'slack':
        return createSlackAdapter(config, createLogger(config.LOG_LEVEL), buildRouter().commands.flatMap((c) => [c.name, ...c.aliases]));
      case 'matrix':
        return createMatrixAdapter(config, {
          log: createLogger(config.LOG_LEVEL),
          ...(host.store ? { store: host.store } : {}),
          ...(host.isLinkedUser ? { isLinkedUser: host.isLinkedUser } : {}),
        });
      default:
        throw new Error(`the ${platform} adapter is not available in this version of Pilote`);
    }
  });
}
