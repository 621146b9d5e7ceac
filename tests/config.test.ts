import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('config', () => {
  it('applies defaults', () => {
    const c = loadConfig({});
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.HTTP_PORT).toBe(3000);
    expect(c.DEFAULT_TIMEZONE).toBe('Europe/Paris');
    expect(c.DEFAULT_LOCALE).toBe('fr');
    expect(c.TELEGRAM_API_ROOT).toBe('https://api.telegram.org');
    expect(c.PILOTE_ADAPTERS).toEqual([]);
    expect(c.DATABASE_PREPARED_STATEMENTS).toBe('on');
  });

  it('turns prepared statements off with `off` only, and says what it takes', () => {
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'off' }).DATABASE_PREPARED_STATEMENTS).toBe('off');
    expect(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: 'no' })).toThrow(/DATABASE_PREPARED_STATEMENTS/);
  });

  it('gives one line per wrong variable and never echoes secrets', () => {
    try {
      loadConfig({
        PILOTE_ADAPTERS: 'telegram,fax',
        HTTP_PORT: 'abc',
        DEFAULT_TIMEZONE: 'Paris/Nowhere',
        SLACK_SIGNING_SECRET: 'very-secret-value',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const lines = (err as ConfigError).lines;
      expect(lines.some((l) => l.startsWith('PILOTE_ADAPTERS'))).toBe(true);
      expect(lines.some((l) => l.startsWith('HTTP_PORT'))).toBe(true);
      expect(lines.some((l) => l.startsWith('DEFAULT_TIMEZONE') && l.includes('IANA'))).toBe(true);
      expect((err as Error).message).not.toContain('very-secret-value');
    }
  });

  it('wants both webhook variables or neither', () => {
    expect(() => loadConfig({ TELEGRAM_WEBHOOK_URL: 'https://x.example/tg' })).toThrow(/TELEGRAM_WEBHOOK_SECRET/);
    expect(loadConfig({ TELEGRAM_WEBHOOK_URL: 'https://x.example/tg', TELEGRAM_WEBHOOK_SECRET: 'abc' }).TELEGRAM_WEBHOOK_SECRET).toBe('abc');
  });

  it('requires the credentials of the adapters it runs', () => {
    expect(() => loadConfig({ PILOTE_ADAPTERS: 'slack', SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_APP_TOKEN/);
    expect(loadConfig({ PILOTE_ADAPTERS: 'slack', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).PILOTE_ADAPTERS).toEqual(['slack']);
    expect(() => loadConfig({ PILOTE_ADAPTERS: 'matrix', MATRIX_HOMESERVER_URL: 'https://m.example' })).toThrow(/MATRIX_ACCESS_TOKEN/);
    expect(loadConfig({ PILOTE_ADAPTERS: ' Console , ' }).PILOTE_ADAPTERS).toEqual(['console']);
  });
});
