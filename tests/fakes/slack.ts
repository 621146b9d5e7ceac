/**
 * A fake Slack Web API on 127.0.0.1 for the adapter tests: the real WebClient (and Bolt's Socket
 * Mode client) talk HTTP to it. It checks the bot token (`invalid_auth` otherwise), keeps the
 * messages it was sent so edits can be checked, records every call, and can be told to fail the
 * next calls of a method (HTTP 429 with `Retry-After`, or a Slack error code). With an app token,
 * `apps.connections.open` hands out a Socket Mode WebSocket served by the same fake.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { attachSocketMode, type FakeSocketMode } from './slack-socket.js';

/** One call the fake received. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  status: number;
  response: Record<string, unknown>;
  /** ms since the epoch. */
  at: number;
}

/** A stored message (posted, then maybe edited). */
export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  thread_ts?: string;
  edits: number;
}

/** A user `users.info` knows. */
export interface FakeUser {
  name: string;
  realName?: string;
  displayName?: string;
  locale?: string;
}

/** An injected failure: an HTTP 429 with `Retry-After` (seconds), or `{ ok: false, error }`. */
export type FakeFailure = { status: 429; retryAfter: number } | { error: string };

/** Options of {@link startFakeSlack}. */
export interface FakeSlackOptions {
  botToken: string;
  /** App-level token `apps.connections.open` accepts (none: it always refuses). */
  appToken?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  users?: Record<string, FakeUser>;
  /** Socket Mode: when an unacknowledged event is sent again (default Slack's 3 s, 1 min, 5 min). */
  socketRetryDelaysMs?: readonly number[];
}

/** The running fake; see the module comment. */
export interface FakeSlack {
  /** Web API root to give the SDK (`http://127.0.0.1:<port>/api/`). */
  url: string;
  teamId: string;
  botUserId: string;
  calls: SlackCall[];
  /** Successful calls of a method. */
  ok(method: string): SlackCall[];
  /** Stored message by channel and ts. */
  message(channel: string, ts: string): FakeMessage | undefined;
  /** The Socket Mode connection `apps.connections.open` hands out. */
  socket: FakeSocketMode;
  /** Makes the next `times` calls of `method` fail. */
  failNext(method: string, failure: FakeFailure, times?: number): void;
  /** Resolves once `predicate` holds for the recorded calls (polls; rejects after `timeoutMs`). */
  waitFor(predicate: (calls: SlackCall[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

/** Form fields as the WebClient sends them (objects and arrays JSON-encoded); JSON bodies too. */
function parseArgs(body: string, contentType: string | undefined): Record<string, unknown> {
  if ((contentType ?? '').includes('application/json')) return body ? (JSON.parse(body) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    args[k] = /^[[{]/.test(v) ? safeJson(v) : v;
  }
  return args;
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** Starts the fake on a free port. */
export async function startFakeSlack(opts: FakeSlackOptions): Promise<FakeSlack> {
  const teamId = opts.teamId ?? 'T0PILOTE';
  const botUserId = opts.botUserId ?? 'U0PILOTE';
  const botId = opts.botId ?? 'B0PILOTE';
  const calls: SlackCall[] = [];
  const messages = new Map<string, FakeMessage>();
  const failures = new Map<string, FakeFailure[]>();
  let seq = 0;
  let socketUrl = '';
  const nextTs = () => {
    seq += 1;
    return `${1_790_000_000 + seq}.${String(seq).padStart(6, '0')}`;
  };

  const handle = (method: string, args: Record<string, unknown>, token: string | undefined): Record<string, unknown> => {
    if (method === 'apps.connections.open') {
      return opts.appToken && token === opts.appToken ? { ok: true, url: socketUrl } : { ok: false, error: 'invalid_auth' };
    }
    if (token !== opts.botToken) return { ok: false, error: 'invalid_auth' };
    const channel = typeof args.channel === 'string' ? args.channel : '';
    const blocks = Array.isArray(args.blocks) ? args.blocks : [];
    const text = typeof args.text === 'string' ? args.text : '';
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://pilote-test.slack.com/', team: 'Pilote Test', user: 'pilote', team_id: teamId, user_id: botUserId, bot_id: botId };
      case 'chat.postMessage': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!text && blocks.length === 0) return { ok: false, error: 'no_text' };
        const ts = nextTs();
        const msg: FakeMessage = { channel, ts, text, blocks, edits: 0, ...(typeof args.thread_ts === 'string' ? { thread_ts: args.thread_ts } : {}) };
        messages.set(`${channel}:${ts}`, msg);
        return { ok: true, channel, ts, message: { type: 'message', text, blocks, ts, bot_id: botId, user: botUserId } };
      }
      case 'chat.update': {
        const msg = messages.get(`${channel}:${String(args.ts)}`);
        if (!msg) return { ok: false, error: 'message_not_found' };
        msg.text = text;
        msg.blocks = blocks;
        msg.edits += 1;
        return { ok: true, channel, ts: msg.ts, text };
      }
      case 'chat.postEphemeral':
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (typeof args.user !== 'string') return { ok: false, error: 'user_not_found' };
        return { ok: true, message_ts: nextTs() };
      case 'conversations.open': {
        const user = String(args.users ?? '').split(',')[0] ?? '';
        if (!/^[UW]/.test(user)) return { ok: false, error: 'user_not_found' };
        return { ok: true, channel: { id: `D${user.slice(1)}` } };
      }
      case 'users.info': {
        const id = String(args.user ?? '');
        const u = opts.users?.[id];
        if (!u) return { ok: false, error: 'user_not_found' };
        return {
          ok: true,
          user: {
            id,
            team_id: teamId,
            name: u.name,
            real_name: u.realName ?? u.name,
            ...(args.include_locale && u.locale ? { locale: u.locale } : {}),
            profile: { display_name: u.displayName ?? '', real_name: u.realName ?? u.name },
          },
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
      const args = parseArgs(body, req.headers['content-type']);
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof args.token === 'string' ? args.token : undefined;
      const failure = failures.get(method)?.shift();
      let status = 200;
      let response: Record<string, unknown>;
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      if (failure && 'status' in failure) {
        status = 429;
        headers['retry-after'] = String(failure.retryAfter);
        response = { ok: false, error: 'ratelimited' };
      } else if (failure) {
        response = { ok: false, error: failure.error };
      } else {
        response = handle(method, args, token);
      }
      calls.push({ method, args, token, status, response, at: Date.now() });
      res.writeHead(status, headers);
      res.end(JSON.stringify(response));
    })();
  });
  const socket = attachSocketMode(server, '/socket-mode', opts.socketRetryDelaysMs);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  socketUrl = `ws://127.0.0.1:${port}/socket-mode?ticket=fake`;

  return {
    url: `http://127.0.0.1:${port}/api/`,
    teamId,
    botUserId,
    calls,
    socket,
    ok: (method) => calls.filter((c) => c.method === method && c.response.ok === true),
    message: (channel, ts) => messages.get(`${channel}:${ts}`),
    failNext(method, failure, times = 1) {
      const list = failures.get(method) ?? [];
      for (let i = 0; i < times; i++) list.push(failure);
      failures.set(method, list);
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(calls)) {
        if (Date.now() > deadline) throw new Error(`fake slack: condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        socket.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
