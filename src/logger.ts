/** The process logger: pino JSON lines, with secrets redacted wherever they appear in objects. */
import { pino, type DestinationStream, type Logger } from 'pino';

const SECRET_PATHS = [
  'token', '*.token', 'password', '*.password', 'secret', '*.secret', 'accessToken', '*.accessToken',
  'config.TELEGRAM_BOT_TOKEN', 'config.TELEGRAM_WEBHOOK_SECRET', 'config.SLACK_BOT_TOKEN', 'config.SLACK_APP_TOKEN',
  'config.SLACK_SIGNING_SECRET', 'config.MATRIX_ACCESS_TOKEN', 'config.MATRIX_PASSWORD', 'config.DATABASE_URL',
  'req.headers.authorization', 'req.headers["x-telegram-bot-api-secret-token"]', 'req.headers["x-slack-signature"]',
];

/** Creates the logger at `level`, writing to `destination` (default stdout). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'pilote' },
      redact: { paths: SECRET_PATHS, censor: '[secret]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/** Removes credentials from a URL before it is shown (postgres://user:pw@host → postgres://user:***@host). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparsable url]';
  }
}
