/**
 * Bolt receiver for Slack's HTTP mode, served as a route of Pilote's one HTTP server (Bolt never
 * opens a port of its own). It verifies the request signature, answers `url_verification` and
 * `ssl_check`, then runs the request through Bolt and answers once the listeners have handed the
 * event to the ingress of the inbound queue — within Slack's 3 seconds, before any database work.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App, Receiver } from '@slack/bolt';
import type { Logger } from 'pino';
import type { HttpRoute } from '../../src/core/types.js';
import { t, type Locale } from '../../src/i18n/index.js';
import { runHeld } from './held.js';
import { checkSlackSignature } from './signature.js';

/** Options of {@link SlackHttpReceiver}. */
export interface SlackHttpReceiverOptions {
  signingSecret: string;
  logger: Logger;
  /** Language of the "unavailable" answer to a slash command. */
  locale: Locale;
  /** Clock for the timestamp check (ms since the epoch). */
  now?: () => number;
  /** Past this, answer without waiting for the listeners (Slack gives up at 3 s). */
  ackTimeoutMs?: number;
  /** Largest body accepted. */
  maxBodyBytes?: number;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function reply(res: ServerResponse, status: number, body: unknown = ''): void {
  if (res.headersSent) return;
  const json = typeof body !== 'string';
  const text = json ? JSON.stringify(body) : body;
  res.writeHead(status, {
    'content-type': json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Parses a Slack request body: JSON (Events API) or a form (commands; `payload=` for interactivity). */
export function parseSlackBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  const text = raw.toString('utf8');
  if ((contentType ?? '').includes('application/json')) return JSON.parse(text) as Record<string, unknown>;
  const form = new URLSearchParams(text);
  const payload = form.get('payload');
  if (payload !== null) return JSON.parse(payload) as Record<string, unknown>;
  return Object.fromEntries(form.entries());
}

/** The HTTP-mode receiver; see the module comment. */
export class SlackHttpReceiver implements Receiver {
  private app?: App;
  private open = false;
  private readonly opts: Required<SlackHttpReceiverOptions>;

  constructor(opts: SlackHttpReceiverOptions) {
    this.opts = { now: Date.now, ackTimeoutMs: 2500, maxBodyBytes: 1_000_000, ...opts };
  }

  /** Called by Bolt's App constructor. */
  init(app: App): void {
    this.app = app;
  }

  /** Starts accepting events (before this, requests get 503 and Slack retries). */
  async start(): Promise<void> {
    this.open = true;
  }

  /** Stops accepting events. */
  async stop(): Promise<void> {
    this.open = false;
  }

  /** The route to serve on the shared HTTP server. */
  route(path: string): HttpRoute {
    return { method: 'POST', path, handler: (req, res) => this.handle(req, res) };
  }

  /** Handles one request from Slack. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { logger } = this.opts;
    let raw: Buffer;
    try {
      raw = await readBody(req, this.opts.maxBodyBytes);
    } catch (err) {
      reply(res, err instanceof BodyTooLarge ? 413 : 400, 'bad request\n');
      return;
    }
    const check = checkSlackSignature(
      this.opts.signingSecret,
      { timestamp: header(req, 'x-slack-request-timestamp'), signature: header(req, 'x-slack-signature') },
      raw,
      this.opts.now(),
    );
    if (check !== 'ok') {
      logger.warn({ reason: check, remote: req.socket.remoteAddress }, 'slack: request refused (signature check failed)');
      reply(res, 401, 'invalid signature\n');
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = parseSlackBody(raw, header(req, 'content-type'));
    } catch {
      reply(res, 400, 'unreadable body\n');
      return;
    }
    if (body.ssl_check) return reply(res, 200);
    if (body.type === 'url_verification') return reply(res, 200, { challenge: String(body.challenge ?? '') });
    const app = this.app;
    if (!app || !this.open) return reply(res, 503, 'not ready\n');
    await this.dispatch(app, body, req, res);
  }

  private async dispatch(app: App, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const retry = header(req, 'x-slack-retry-num');
    const held = await runHeld(app, body, {
      timeoutMs: this.opts.ackTimeoutMs,
      logger: this.opts.logger,
      retryNum: retry !== undefined && /^\d+$/.test(retry) ? Number(retry) : undefined,
      retryReason: header(req, 'x-slack-retry-reason'),
    });
    if (held.queued) {
      reply(res, 200, held.response === undefined || held.response === null ? '' : (held.response as object | string));
      return;
    }
    // Events come back (Slack retries on 5xx); a slash command gets a short answer instead.
    if (typeof body.command === 'string') reply(res, 200, { response_type: 'ephemeral', text: t(this.opts.locale, 'core.unavailable') });
    else reply(res, 503, 'unavailable\n');
  }
}
