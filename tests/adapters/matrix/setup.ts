/**
 * A whole Pilote process with the Matrix adapter on the fake homeserver: the test harness (its
 * own database and Redis prefix, the demo commune), the real matrix-bot-sdk, and the core's
 * store and linked-user check on the test database. Short sync timeouts and backoffs keep the
 * tests quick.
 */
import { MatrixAdapter, type MatrixAdapterOptions } from '../../../adapters/matrix/index.js';
import type { Config } from '../../../src/config.js';
import { prismaAdapterStore, prismaLinkedUserCheck } from '../../../src/db/adapter-state.js';
import { createPrisma, type PrismaClient } from '../../../src/db/client.js';
import type { DemoUser } from '../../../src/db/seed.js';
import { createLogger } from '../../../src/logger.js';
import { FakeHomeserver, type FakeEvent } from '../../fakes/matrix.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

/** The bot's access token on the fake homeserver. */
export const BOT_TOKEN = 'syt_pilote_bot_token';
/** The fake homeserver's name (the adapter's workspace). */
export const SERVER = 'pilote.test';

/** A running Matrix test process. */
export interface MatrixSetup {
  h: Harness;
  hs: FakeHomeserver;
  adapter: MatrixAdapter;
  bot: string;
  /** A Prisma client of the test database for the adapter's store (closed by `stop`). */
  prisma: PrismaClient;
  config: Config;
  /** Makes a fresh adapter on the same homeserver and store (a restarted process). */
  newAdapter(extra?: Partial<MatrixAdapterOptions>): MatrixAdapter;
  /** Links a demo member to a Matrix account directly in the database. */
  link(demo: DemoUser, userId: string): Promise<void>;
  /** Waits until the bot has sent `index + 1` messages (edits aside) in a room; returns the last one. */
  botMessage(roomId: string, index: number): Promise<FakeEvent>;
  /** The bot's notices (edits excluded) in a room. */
  botMessages(roomId: string): FakeEvent[];
  stop(): Promise<void>;
}

/** Test defaults of the adapter: quick long polls and backoff. */
export const QUICK = { syncTimeoutMs: 400, backoff: { minMs: 20, maxMs: 200 } } as const;

/** Starts the fake homeserver and a harness whose process runs the Matrix adapter. */
export async function startMatrix(label: string, opts: { env?: Record<string, string>; adapter?: Partial<MatrixAdapterOptions> } = {}): Promise<MatrixSetup> {
  const hs = await FakeHomeserver.start(SERVER);
  const bot = hs.addUser('pilote', { token: BOT_TOKEN, displayName: 'Pilote', password: 'bot-password' });
  let prisma: PrismaClient | undefined;
  let config: Config | undefined;
  let adapter: MatrixAdapter | undefined;
  const make = (extra: Partial<MatrixAdapterOptions> = {}) =>
    new MatrixAdapter({
      homeserverUrl: hs.url,
      accessToken: BOT_TOKEN,
      store: prismaAdapterStore(() => prisma!),
      isLinkedUser: prismaLinkedUserCheck(() => prisma!),
      allowedServers: config!.MATRIX_ALLOWED_SERVERS,
      locale: 'fr',
      log: createLogger('silent'),
      ...QUICK,
      ...opts.adapter,
      ...extra,
    });
  const h = await startHarness(label, {
    env: { MATRIX_HOMESERVER_URL: hs.url, MATRIX_ACCESS_TOKEN: BOT_TOKEN, ...opts.env },
    adapters: (c) => {
      config = c;
      prisma = createPrisma(c.DATABASE_URL!, { max: 2 });
      adapter = make();
      return [adapter];
    },
  });
  // The bot speaks in notices; a test may also make the bot's account say something else.
  const botMessages = (roomId: string) =>
    hs.messagesFrom(roomId, bot).filter((e) => e.content.msgtype === 'm.notice' && (e.content['m.relates_to'] as { rel_type?: string } | undefined)?.rel_type !== 'm.replace');
  return {
    h,
    hs,
    adapter: adapter!,
    bot,
    prisma: prisma!,
    config: config!,
    newAdapter: make,
    async link(demo, userId) {
      await h.prisma.chatIdentity.create({ data: { memberId: h.demo.members[demo], platform: 'MATRIX', workspace: SERVER, userId } });
    },
    botMessage: (roomId, index) => hs.waitFor(() => botMessages(roomId)[index], 15_000, `bot message #${index + 1} in ${roomId}`),
    botMessages,
    async stop() {
      // The app (and the adapter's store) first, then the store's client, then the database.
      await h.app.stop(2000);
      await prisma?.$disconnect();
      await h.stop();
      await hs.close();
    },
  };
}
