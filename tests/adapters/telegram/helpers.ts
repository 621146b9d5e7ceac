/** Shared pieces of the Telegram end-to-end tests: a harness with the adapter, linked demo members. */
import type { Update, User } from 'grammy/types';
import { TelegramAdapter, type TelegramOptions } from '../../../adapters/telegram/index.js';
import { buildRouter } from '../../../src/commands/index.js';
import type { Config } from '../../../src/config.js';
import type { DemoUser } from '../../../src/db/seed.js';
import { FakeTelegram } from '../../fakes/telegram.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

/** A harness whose process also runs the Telegram adapter against a fake Bot API. */
export interface TelegramHarness {
  h: Harness;
  fake: FakeTelegram;
  adapter: TelegramAdapter;
  /** The core event id of an update. */
  eventId(update: Update | undefined): string;
  /** Waits until the update was handled and everything it caused left the outbox. */
  handled(update: Update | undefined): Promise<void>;
  /** Gives a demo member a Telegram account (as if linked earlier). */
  link(user: DemoUser, tg: User): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the fake Bot API and a harness with the Telegram adapter. */
export async function startTelegramHarness(
  label: string,
  options: { env?: Record<string, string>; adapter?: (config: Config, fake: FakeTelegram) => TelegramAdapter; fake?: FakeTelegram } = {},
): Promise<TelegramHarness> {
  const fake = options.fake ?? (await FakeTelegram.start());
  let adapter: TelegramAdapter | undefined;
  const build =
    options.adapter ??
    ((config: Config) =>
      new TelegramAdapter({
        token: config.TELEGRAM_BOT_TOKEN!,
        apiRoot: config.TELEGRAM_API_ROOT,
        commands: buildRouter().commands,
        pollTimeoutSeconds: 2,
        backoffMs: { min: 100, max: 1000 },
      } satisfies TelegramOptions));
  const h = await startHarness(label, {
    env: { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, ...options.env },
    adapters: (config) => [(adapter = build(config, fake))],
  });
  const eventId = (update: Update | undefined) => {
    if (!update) throw new Error('Telegram did not deliver that update to the bot');
    return `telegram-${fake.bot.id}-${update.update_id}`;
  };
  return {
    h,
    fake,
    adapter: adapter!,
    eventId,
    async handled(update) {
      const key = eventId(update);
      await fake.waitFor(() => h.prisma.handledEvent.findUnique({ where: { key } }), 15_000, `event ${key}`);
      await h.app.settle(key);
    },
    async link(user, tg) {
      await h.prisma.chatIdentity.create({
        data: {
          memberId: h.demo.members[user],
          platform: 'TELEGRAM',
          userId: String(tg.id),
          ...(tg.username ? { username: tg.username } : {}),
          directChatId: String(tg.id),
        },
      });
      fake.privateChat(tg);
    },
    async stop() {
      await h.stop();
      await fake.close();
    },
  };
}
