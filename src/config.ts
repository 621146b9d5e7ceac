/**
 * Environment → typed configuration (SPEC section 5). Fails fast with one line per bad
 * variable; never echoes a secret's value.
 */
import { z } from 'zod';
import { PLATFORMS, type Platform } from './core/types.js';
import { isValidZone } from './time/index.js';

const optionalString = z.string().trim().min(1).optional();
const url = (what: string) => z.url({ message: `must be a URL (${what})` });

const schema = z
  .object({
    DATABASE_URL: url('postgresql://user@host:5432/db').optional(),
    REDIS_URL: url('redis://host:6379').default('redis://127.0.0.1:6379'),
    REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only').default('pilote'),
    REDIS_SENTINELS: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each sentinel must be host:port'))),
    REDIS_SENTINEL_NAME: z.string().trim().min(1).default('mymaster'),
    REDIS_SENTINEL_PASSWORD: optionalString,
    PILOTE_ADAPTERS: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean))
      .pipe(z.array(z.enum(PLATFORMS as [Platform, ...Platform[]], { message: `each adapter must be one of ${PLATFORMS.join(', ')}` }))),
    TELEGRAM_BOT_TOKEN: optionalString,
    TELEGRAM_API_ROOT: url('https://…').default('https://api.telegram.org'),
    TELEGRAM_WEBHOOK_URL: url('https://…/telegram').optional(),
    TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, '1-256 characters A-Z, a-z, 0-9, _ and -').optional(),
    SLACK_BOT_TOKEN: optionalString,
    SLACK_APP_TOKEN: optionalString,
    SLACK_SIGNING_SECRET: optionalString,
    SLACK_API_URL: url('https://…/api/').default('https://slack.com/api/'),
    MATRIX_HOMESERVER_URL: url('https://matrix.example.org').optional(),
    MATRIX_ACCESS_TOKEN: optionalString,
    MATRIX_USER_ID: optionalString,
    MATRIX_PASSWORD: optionalString,
    MATRIX_ALLOWED_SERVERS: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: url('https://pilote.example.org').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DEFAULT_TIMEZONE: z.string().default('Europe/Paris').refine(isValidZone, 'must be an IANA time zone such as Europe/Paris'),
    DEFAULT_LOCALE: z.enum(['fr', 'en']).default('fr'),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(8),
    DATABASE_PREPARED_STATEMENTS: z.enum(['on', 'off']).default('on'),
    LATE_SUMMARY_HOURS: z.coerce.number().min(0).default(12),
    RECONCILE_INTERVAL_SECONDS: z.coerce.number().min(1).default(300),
    LEADER_LEASE_SECONDS: z.coerce.number().min(1).max(600).default(15),
  })
  .superRefine((c, ctx) => {
    const need = (cond: boolean, path: string, message: string) => {
      if (cond) ctx.addIssue({ code: 'custom', path: [path], message });
    };
    const on = (p: Platform) => c.PILOTE_ADAPTERS.includes(p);
    need(on('telegram') && !c.TELEGRAM_BOT_TOKEN, 'TELEGRAM_BOT_TOKEN', 'required when PILOTE_ADAPTERS includes telegram');
    need(Boolean(c.TELEGRAM_WEBHOOK_URL) !== Boolean(c.TELEGRAM_WEBHOOK_SECRET), 'TELEGRAM_WEBHOOK_SECRET', 'set both TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET for webhook mode, or neither for long polling');
    need(on('slack') && !c.SLACK_BOT_TOKEN, 'SLACK_BOT_TOKEN', 'required when PILOTE_ADAPTERS includes slack');
    need(on('slack') && !c.SLACK_APP_TOKEN && !c.SLACK_SIGNING_SECRET, 'SLACK_APP_TOKEN', 'set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)');
    need(on('matrix') && !c.MATRIX_HOMESERVER_URL, 'MATRIX_HOMESERVER_URL', 'required when PILOTE_ADAPTERS includes matrix');
    need(on('matrix') && !c.MATRIX_ACCESS_TOKEN && !(c.MATRIX_USER_ID && c.MATRIX_PASSWORD), 'MATRIX_ACCESS_TOKEN', 'set MATRIX_ACCESS_TOKEN, or MATRIX_USER_ID and MATRIX_PASSWORD');
  });

/** Pilote's validated configuration. */
export type Config = z.infer<typeof schema>;

/** A configuration problem; `lines` has one line per wrong variable. */
export class ConfigError extends Error {
  readonly lines: string[];
  constructor(lines: string[]) {
    super(`Invalid configuration:\n${lines.map((l) => `  ${l}`).join('\n')}`);
    this.name = 'ConfigError';
    this.lines = lines;
  }
}

/** Reads and validates the configuration from an environment (default `process.env`). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') input[k] = v;
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
  throw new ConfigError([...new Set(lines)]);
}
