/**
 * The webhook endpoint on the shared HTTP server. Telegram POSTs each update with the secret
 * given to `setWebhook` in `X-Telegram-Bot-Api-Secret-Token`; anything else is refused
 * before the body is read. A 2xx tells Telegram the update is taken: it is only sent once the
 * event is in Redis (the ingress of the `inbound` queue), otherwise a 5xx makes Telegram deliver
 * it again later.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Update } from 'grammy/types';
import type { Logger } from 'pino';

/** Header Telegram puts the webhook secret in. */
export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** Largest update body accepted (updates are a few kB; Telegram's own cap is far below). */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Constant-time comparison of the header with the secret. Both sides are hashed first, so the
 * buffers compared always have the same length and not even the secret's length leaks.
 */
export function secretMatches(given: string | string[] | undefined, secret: string | Buffer): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  return timingSafeEqual(a, typeof secret === 'string' ? secretDigest(secret) : secret);
}

/** The digest {@link secretMatches} compares with, computed once per handler. */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Options of {@link webhookHandler}. */
export interface WebhookOptions {
  secret: string;
  /** Hands the update on; throws when it cannot be queued now. Undefined until receiving starts. */
  deliver: () => ((update: Update) => Promise<void>) | undefined;
  logger?: Logger;
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The HTTP handler of the webhook route. */
export function webhookHandler(opts: WebhookOptions) {
  const secret = secretDigest(opts.secret);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!secretMatches(req.headers[SECRET_HEADER], secret)) {
      opts.logger?.warn({ remote: req.socket.remoteAddress }, 'telegram: webhook call without the right secret refused');
      req.resume();
      answer(res, 401, 'unauthorized\n');
      return;
    }
    const deliver = opts.deliver();
    if (!deliver) {
      req.resume();
      answer(res, 503, 'not receiving yet\n');
      return;
    }
    const body = await readBody(req);
    if (!body) {
      answer(res, 413, 'too large\n');
      return;
    }
    let update: Update;
    try {
      update = JSON.parse(body.toString('utf8')) as Update;
      if (typeof update?.update_id !== 'number') throw new Error('no update_id');
    } catch {
      answer(res, 400, 'not an update\n');
      return;
    }
    try {
      await deliver(update);
    } catch (err) {
      opts.logger?.warn({ err: err instanceof Error ? err.message : String(err), updateId: update.update_id }, 'telegram: could not queue an update; Telegram will retry');
      answer(res, 503, 'try again later\n');
      return;
    }
    answer(res, 200, 'ok\n');
  };
}
