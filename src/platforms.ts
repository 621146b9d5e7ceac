/**
 * Builds the adapters named in `PILOTE_ADAPTERS`. Each adapter (and its platform SDK) is
 * imported only when configured: a process with one platform does not carry the other two
 * SDKs in memory (docs/performance.md).
 */
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
export async function createAdapters(config: Config, host: AdapterHost): Promise<Adapter[]> {
  const adapters: Adapter[] = [];
  for (const platform of config.PILOTE_ADAPTERS) adapters.push(await createAdapter(platform, config, host));
  return adapters;
}

async function createAdapter(platform: Config['PILOTE_ADAPTERS'][number], config: Config, host: AdapterHost): Promise<Adapter> {
  switch (platform) {
    case 'console': {
      const { ConsoleAdapter } = await import('../adapters/console/index.js');
      return new ConsoleAdapter({
        input: process.stdin,
        output: process.stdout,
        userId: host.consoleUser ?? 'maire',
        locale: config.DEFAULT_LOCALE,
        settle: host.settle,
        ...(host.onConsoleEnd ? { onEnd: host.onConsoleEnd } : {}),
      });
    }
    case 'telegram': {
      const { createTelegramAdapter } = await import('../adapters/telegram/index.js');
      return createTelegramAdapter(config, { commands: buildRouter().commands, logger: createLogger(config.LOG_LEVEL) });
    }
    case 'slack': {
      const { createSlackAdapter } = await import('../adapters/slack/index.js');
      return createSlackAdapter(config, createLogger(config.LOG_LEVEL), buildRouter().commands.flatMap((c) => [c.name, ...c.aliases]));
    }
    case 'matrix': {
      const { createMatrixAdapter } = await import('../adapters/matrix/index.js');
      return createMatrixAdapter(config, {
        log: createLogger(config.LOG_LEVEL),
        ...(host.store ? { store: host.store } : {}),
        ...(host.isLinkedUser ? { isLinkedUser: host.isLinkedUser } : {}),
      });
    }
    default:
      throw new Error(`the ${platform} adapter is not available in this version of Pilote`);
  }
}
