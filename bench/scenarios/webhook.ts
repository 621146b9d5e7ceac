/**
 * Webhook ingress (SPEC section 6, row 4): Telegram updates POSTed by the load child to the real
 * HTTP server of a `web` process (App, Telegram adapter in webhook mode, Bot API played by the
 * test fake) — each answered 200 once its event is in Redis (the ingress) — beside a bare
 * `node:http` server in the same process answering 200 after reading the body.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTelegramAdapter } from '../../adapters/telegram/index.js';
import { App } from '../../src/app.js';
import { ingressKeys } from '../../src/jobs/ingress.js';
import { buildRouter } from '../../src/commands/index.js';
import { FakeTelegram } from '../../tests/fakes/telegram.js';
import type { Child } from '../lib/child.js';
import type { BenchEnv } from '../lib/env.js';
import type { LoadResult } from '../load.js';

const SECRET = 'bench_webhook_secret_0123456789';
const PATH = '/telegram/bench-hook';

/** A private-chat `/tache …` update; `__ID__` becomes the update id (unique per request). */
const UPDATE = JSON.stringify({
  update_id: '__ID__',
  message: {
    message_id: '__ID__',
    date: 1_765_000_000,
    chat: { id: 424242, type: 'private', first_name: 'Claire' },
    from: { id: 424242, is_bot: false, first_name: 'Claire', language_code: 'fr' },
    text: '/tache Réparer le lampadaire pour vendredi 17h',
    entities: [{ offset: 0, length: 6, type: 'bot_command' }],
  },
}).replaceAll('"__ID__"', '__ID__');

/** The two servers under load, started once for all runs. */
export interface WebhookRig {
  /** The `web` process under load. */
  app: App;
  /** Loads the bare server, then the webhook, for `seconds` each. */
  run(load: Child, run: number, seconds: number, connections: number): Promise<{ bare: LoadResult; hook: LoadResult; queued: number }>;
  close(): Promise<void>;
}

/** Starts the fake Bot API, the `web` app with the Telegram adapter in webhook mode, and the bare server. */
export async function startWebhookRig(env: BenchEnv): Promise<WebhookRig> {
  const fake = await FakeTelegram.start();
  const config = env.config({
    PILOTE_ADAPTERS: 'telegram',
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    TELEGRAM_WEBHOOK_URL: `https://pilote.example.org${PATH}`,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
  });
  const app = App.create({ config, role: 'web', adapters: [createTelegramAdapter(config, { commands: buildRouter().commands })] });
  await app.start();
  const bare: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 3 });
      res.end('ok\n');
    });
  });
  bare.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const barePort = (bare.address() as AddressInfo).port;
  const spec = (port: number, path: string, run: number, seconds: number, connections: number) => ({
    port,
    path,
    headers: { 'x-telegram-bot-api-secret-token': SECRET },
    body: UPDATE,
    connections,
    seconds,
    maxRequests: 2_000_000,
    firstId: (run + 1) * 10_000_000,
  });
  return {
    app,
    async run(load, run, seconds, connections) {
      const bareResult = await load.call<LoadResult>('run', spec(barePort, PATH, run, seconds, connections));
      const hook = await load.call<LoadResult>('run', spec(app.httpPort!, PATH, run, seconds, connections));
      // A web process pushes to the ingress; no pump runs here, so everything it took is there.
      const { list } = ingressKeys(app.queues.prefix);
      const queued = await app.services.redis.llen(list);
      await app.services.redis.del(list);
      return { bare: bareResult, hook, queued };
    },
    async close() {
      await new Promise<void>((resolve) => bare.close(() => resolve()));
      bare.closeAllConnections();
      await app.stop(1000);
      await fake.close();
    },
  };
}
