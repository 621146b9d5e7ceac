/** Bolt's logger interface on top of Pilote's pino logger (Bolt's chatty info lines go to debug). */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from 'pino';

function line(msg: unknown[]): { obj: Record<string, unknown>; text: string } {
  const errors = msg.filter((m): m is Error => m instanceof Error);
  const text = msg
    .filter((m) => !(m instanceof Error))
    .map((m) => (typeof m === 'string' ? m : JSON.stringify(m)))
    .join(' ');
  return { obj: { component: 'slack-bolt', ...(errors[0] ? { err: errors[0] } : {}) }, text: text || errors[0]?.message || '' };
}

/** Wraps a pino logger for Bolt, the Socket Mode client and the WebClient. */
export function boltLogger(logger: Logger): BoltLogger {
  let level: LogLevel = LogLevel.INFO;
  const at = (fn: 'debug' | 'warn' | 'error') => (...msg: unknown[]) => {
    const { obj, text } = line(msg);
    logger[fn](obj, text);
  };
  return {
    debug: at('debug'),
    info: at('debug'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
