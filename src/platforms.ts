/** Builds the adapters named in `PILOTE_ADAPTERS`. */
import { ConsoleAdapter } from '../adapters/console/index.js';
import type { Config } from './config.js';
import type { Adapter } from './core/types.js';

/** What adapters may need from the process that runs them. */
export interface AdapterHost {
  /** The app's settle function (console: print replies in order). */
  settle: (eventId: string) => Promise<void>;
  /** Called when the console's input ends. */
  onConsoleEnd?: () => void;
  consoleUser?: string;
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
      default:
        throw new Error(`the ${platform} adapter is not available in this version of Pilote`);
    }
  });
}
