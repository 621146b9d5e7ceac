/**
 * A fake Matrix homeserver for tests: the client-server API matrix-bot-sdk uses (versions,
 * login, whoami, filters, /sync with `since` and long-poll `timeout`, account data, join /
 * invite / leave, send with transaction ids, redact, state, events, relations, profiles), on
 * 127.0.0.1, in memory. Tests act as users through the helpers (create a room, invite, send,
 * react…) and can make the server rate-limit, fail or drop the sync connections.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { membershipOf, stateKeyOf, syncResponse } from './matrix-sync.js';

/** An event as the fake stores and serves it. */
export interface FakeEvent {
  event_id: string;
  room_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  state_key?: string;
  redacts?: string;
  unsigned?: Record<string, unknown>;
}

/** A room of the fake: its timeline and current state. */
export interface Room {
  id: string;
  events: FakeEvent[];
  /** Current state, by `type\u0000stateKey`. */
  state: Map<string, FakeEvent>;
}

interface User {
  id: string;
  password?: string;
  displayName?: string;
  accountData: Map<string, { content: unknown; pos: number }>;
}

/** A request the fake received (for assertions). */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  userId?: string;
  /** When it arrived (ms since the epoch). */
  at: number;
}

interface Rule {
  method?: string;
  path: RegExp;
  times: number;
  respond: (res: ServerResponse) => void;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function error(res: ServerResponse, status: number, errcode: string, message: string, extra: Record<string, unknown> = {}): void {
  json(res, status, { errcode, error: message, ...extra });
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }
}

/** The fake homeserver; start it with {@link FakeHomeserver.start}. */
export class FakeHomeserver {
  /** Base URL to give the SDK (`MATRIX_HOMESERVER_URL`). */
  url = '';
  readonly serverName: string;
  /** Every request, in order. */
  readonly requests: RecordedRequest[] = [];
  private server?: Server;
  private pos = 0;
  /** Global stream: position of each event (the sync token is `s<pos>`). */
  private readonly positions = new Map<string, number>();
  private readonly rooms = new Map<string, Room>();
  private readonly users = new Map<string, User>();
  private readonly tokens = new Map<string, string>();
  private readonly filters = new Map<string, unknown>();
  private readonly txns = new Map<string, string>();
  private readonly rules: Rule[] = [];
  private waiters: (() => void)[] = [];
  private readonly pendingSyncs = new Set<ServerResponse>();
  private seq = 0;

  private constructor(serverName: string) {
    this.serverName = serverName;
  }

  /** Starts a fake homeserver named `serverName` on a free port. */
  static async start(serverName = 'pilote.test'): Promise<FakeHomeserver> {
    const hs = new FakeHomeserver(serverName);
    const server = createServer((req, res) => void hs.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hs.server = server;
    hs.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return hs;
  }

  /** Stops the server, ending every connection (the SDK keeps them alive). */
  async close(): Promise<void> {
    for (const w of this.waiters) w();
    this.waiters = [];
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ——— users and rooms, as tests see them ———

  /** Registers a user (`@localpart:server`); returns its id. A `token` lets it call the API. */
  addUser(localpart: string, opts: { password?: string; displayName?: string; token?: string } = {}): string {
    const id = localpart.startsWith('@') ? localpart : `@${localpart}:${this.serverName}`;
    this.users.set(id, { id, accountData: new Map(), ...(opts.password ? { password: opts.password } : {}), ...(opts.displayName ? { displayName: opts.displayName } : {}) });
    if (opts.token) this.tokens.set(opts.token, id);
    return id;
  }

  /** Creates a room as `creator` (joined), optionally encrypted, and invites `invite` (direct: `is_direct`). */
  createRoom(creator: string, opts: { name?: string; encrypted?: boolean; direct?: boolean; invite?: string[] } = {}): string {
    const id = `!${randomBytes(9).toString('base64url')}:${this.serverName}`;
    this.rooms.set(id, { id, events: [], state: new Map() });
    this.state(id, creator, 'm.room.create', '', { creator, room_version: '10' });
    this.state(id, creator, 'm.room.member', creator, { membership: 'join', ...this.profileOf(creator) });
    this.state(id, creator, 'm.room.power_levels', '', { users: { [creator]: 100 } });
    this.state(id, creator, 'm.room.join_rules', '', { join_rule: 'invite' });
    this.state(id, creator, 'm.room.history_visibility', '', { history_visibility: 'shared' });
    if (opts.name) this.state(id, creator, 'm.room.name', '', { name: opts.name });
    if (opts.encrypted) this.state(id, creator, 'm.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' });
    for (const user of opts.invite ?? []) this.invite(id, creator, user, { direct: opts.direct });
    return id;
  }

  /** `sender` invites `target` (a direct-chat invite when `direct`). */
  invite(roomId: string, sender: string, target: string, opts: { direct?: boolean } = {}): void {
    this.state(roomId, sender, 'm.room.member', target, { membership: 'invite', ...(opts.direct ? { is_direct: true } : {}) });
  }

  /** `userId` joins (tests acting as a member). */
  join(roomId: string, userId: string): void {
    this.state(roomId, userId, 'm.room.member', userId, { membership: 'join', ...this.profileOf(userId) });
  }

  /** Sets a state event as `sender`. */
  state(roomId: string, sender: string, type: string, stateKey: string, content: Record<string, unknown>): FakeEvent {
    return this.append(roomId, { type, sender, content, state_key: stateKey });
  }

  /** Sends any event as `sender`; returns it. */
  send(roomId: string, sender: string, type: string, content: Record<string, unknown>): FakeEvent {
    return this.append(roomId, { type, sender, content });
  }

  /** Sends an `m.text` message as `sender` (HTML when `html` is given); returns its event id. */
  say(roomId: string, sender: string, body: string, opts: { html?: string; replyTo?: string; extra?: Record<string, unknown> } = {}): string {
    const content: Record<string, unknown> = { msgtype: 'm.text', body, ...opts.extra };
    if (opts.html !== undefined) {
      content.format = 'org.matrix.custom.html';
      content.formatted_body = opts.html;
    }
    if (opts.replyTo) content['m.relates_to'] = { 'm.in_reply_to': { event_id: opts.replyTo } };
    return this.send(roomId, sender, 'm.room.message', content).event_id;
  }

  /** Reacts to `eventId` with `key` as `sender`; returns the reaction's event id. */
  react(roomId: string, sender: string, eventId: string, key: string): string {
    return this.send(roomId, sender, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key } }).event_id;
  }

  /** The current membership of `userId` in a room. */
  membership(roomId: string, userId: string): string | undefined {
    const room = this.rooms.get(roomId);
    return room ? membershipOf(room, userId) : undefined;
  }

  /** The room's timeline, oldest first. */
  timeline(roomId: string): FakeEvent[] {
    return [...(this.rooms.get(roomId)?.events ?? [])];
  }

  /** One event by id. */
  event(roomId: string, eventId: string): FakeEvent | undefined {
    return this.rooms.get(roomId)?.events.find((e) => e.event_id === eventId);
  }

  /** Messages (`m.room.message`, edits included) `sender` sent in a room, oldest first. */
  messagesFrom(roomId: string, sender: string): FakeEvent[] {
    return this.timeline(roomId).filter((e) => e.sender === sender && e.type === 'm.room.message');
  }

  /** Live (not redacted) reactions `sender` put on `eventId`. */
  reactionsOn(roomId: string, eventId: string, sender?: string): FakeEvent[] {
    return this.relations(roomId, eventId, 'm.annotation', 'm.reaction').filter((e) => !sender || e.sender === sender);
  }

  /** Polls `check` until it returns a value (not undefined/false), or fails after `timeoutMs`. */
  async waitFor<T>(check: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`fake homeserver: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ——— faults ———

  /** The next `times` requests matching answer 429 `M_LIMIT_EXCEEDED` with `retry_after_ms`. */
  rateLimit(opts: { path: RegExp; method?: string; times?: number; retryAfterMs: number }): void {
    this.rules.push({
      path: opts.path,
      ...(opts.method ? { method: opts.method } : {}),
      times: opts.times ?? 1,
      respond: (res) => error(res, 429, 'M_LIMIT_EXCEEDED', 'Too Many Requests', { retry_after_ms: opts.retryAfterMs }),
    });
  }

  /** The next `times` requests matching answer `status` (a 5xx with an HTML page, as a proxy would). */
  fail(opts: { path: RegExp; method?: string; times?: number; status: number }): void {
    this.rules.push({
      path: opts.path,
      ...(opts.method ? { method: opts.method } : {}),
      times: opts.times ?? 1,
      respond: (res) => {
        res.writeHead(opts.status, { 'content-type': 'text/html' });
        res.end('<html><body>Bad Gateway</body></html>');
      },
    });
  }

  /** Cuts the connections of the /sync requests waiting (a dropped long poll). */
  dropSyncConnections(): number {
    const n = this.pendingSyncs.size;
    for (const res of this.pendingSyncs) res.socket?.destroy();
    this.pendingSyncs.clear();
    return n;
  }

  /** The /sync requests received, with their `since` (undefined for an initial sync). */
  syncs(): { since?: string; userId?: string }[] {
    return this.requests.filter((r) => r.path.endsWith('/sync')).map((r) => ({ ...(r.query.since ? { since: r.query.since } : {}), ...(r.userId ? { userId: r.userId } : {}) }));
  }

  // ——— internals ———

  private profileOf(userId: string): Record<string, unknown> {
    const name = this.users.get(userId)?.displayName;
    return name ? { displayname: name } : {};
  }

  private append(roomId: string, partial: Omit<FakeEvent, 'event_id' | 'room_id' | 'origin_server_ts'>): FakeEvent {
    const room = this.rooms.get(roomId);
    if (!room) throw new HttpError(404, 'M_NOT_FOUND', `unknown room ${roomId}`);
    const ev: FakeEvent = { event_id: `$${randomBytes(12).toString('base64url')}${this.seq++}`, room_id: roomId, origin_server_ts: Date.now(), ...partial };
    if (ev.state_key !== undefined) {
      const key = stateKeyOf(ev.type, ev.state_key);
      const prev = room.state.get(key);
      if (prev) ev.unsigned = { prev_content: prev.content };
      room.state.set(key, ev);
    }
    room.events.push(ev);
    this.positions.set(ev.event_id, ++this.pos);
    this.notify();
    return ev;
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private relations(roomId: string, eventId: string, relType?: string, eventType?: string): FakeEvent[] {
    return this.timeline(roomId).filter((e) => {
      const rel = e.content['m.relates_to'] as { event_id?: string; rel_type?: string } | undefined;
      return rel?.event_id === eventId && (!relType || rel.rel_type === relType) && (!eventType || e.type === eventType) && !e.unsigned?.redacted_because;
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return error(res, 400, 'M_NOT_JSON', 'Content not JSON.');
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const userId = token ? this.tokens.get(token) : undefined;
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, at: Date.now(), ...(userId ? { userId } : {}) });
    const rule = this.rules.find((r) => r.times > 0 && r.path.test(url.pathname) && (!r.method || r.method === method));
    if (rule) {
      rule.times--;
      return rule.respond(res);
    }
    try {
      await this.route(method, url, body, token, userId, res);
    } catch (err) {
      if (err instanceof HttpError) return error(res, err.status, err.errcode, err.message);
      error(res, 500, 'M_UNKNOWN', String(err));
    }
  }

  private async route(method: string, url: URL, body: unknown, token: string | undefined, userId: string | undefined, res: ServerResponse): Promise<void> {
    const path = url.pathname;
    if (path === '/_matrix/client/versions') return json(res, 200, { versions: ['v1.1', 'v1.5', 'v1.11'] });
    const m = /^\/_matrix\/client\/(?:v3|v1|r0)(\/.*)$/.exec(path);
    if (!m) return error(res, 404, 'M_UNRECOGNIZED', 'Unrecognized request');
    const p = m[1]!.split('/').map((s) => decodeURIComponent(s));
    const b = (body ?? {}) as Record<string, unknown>;
    if (method === 'POST' && p[1] === 'login') return this.login(b, res);
    if (!token) return error(res, 401, 'M_MISSING_TOKEN', 'Missing access token');
    if (!userId) return error(res, 401, 'M_UNKNOWN_TOKEN', 'Unrecognised access token');
    const me = userId;

    if (method === 'GET' && p[1] === 'account' && p[2] === 'whoami') return json(res, 200, { user_id: me, device_id: `DEV${token.slice(0, 4)}` });
    if (p[1] === 'user' && p[3] === 'filter') {
      if (method === 'POST') {
        const id = String(this.filters.size + 1);
        this.filters.set(id, body);
        return json(res, 200, { filter_id: id });
      }
      const f = this.filters.get(p[4] ?? '');
      return f ? json(res, 200, f) : error(res, 404, 'M_NOT_FOUND', 'No such filter');
    }
    if (p[1] === 'user' && p[3] === 'account_data') {
      const user = this.users.get(me)!;
      const type = p[4] ?? '';
      if (method === 'PUT') {
        user.accountData.set(type, { content: body, pos: ++this.pos });
        this.notify();
        return json(res, 200, {});
      }
      const data = user.accountData.get(type);
      return data ? json(res, 200, data.content) : error(res, 404, 'M_NOT_FOUND', 'Account data not found');
    }
    if (method === 'GET' && p[1] === 'sync') return this.sync(me, url, res);
    if (method === 'GET' && p[1] === 'joined_rooms') {
      return json(res, 200, { joined_rooms: [...this.rooms.values()].filter((r) => this.membership(r.id, me) === 'join').map((r) => r.id) });
    }
    if (method === 'GET' && p[1] === 'profile') {
      const user = this.users.get(p[2] ?? '');
      if (!user) return error(res, 404, 'M_NOT_FOUND', 'Profile not found');
      const profile = user.displayName ? { displayname: user.displayName } : {};
      return p[3] === 'displayname' ? json(res, 200, { displayname: user.displayName ?? null }) : json(res, 200, profile);
    }
    if (method === 'POST' && p[1] === 'join') return this.joinApi(p[2] ?? '', me, res);
    if (p[1] === 'rooms') return this.roomApi(method, p[2] ?? '', p.slice(3), b, me, token, res);
    error(res, 404, 'M_UNRECOGNIZED', 'Unrecognized request');
  }

  private login(b: Record<string, unknown>, res: ServerResponse): void {
    const ident = (b.identifier as { user?: string } | undefined)?.user ?? (b.user as string | undefined) ?? '';
    const id = ident.startsWith('@') ? ident : `@${ident}:${this.serverName}`;
    const user = this.users.get(id);
    if (b.type !== 'm.login.password' || !user?.password || user.password !== b.password) return error(res, 403, 'M_FORBIDDEN', 'Invalid username or password');
    const token = `tok_${randomBytes(12).toString('hex')}`;
    this.tokens.set(token, id);
    json(res, 200, { user_id: id, access_token: token, device_id: `DEV${token.slice(4, 10)}`, home_server: this.serverName });
  }

  private joinApi(roomId: string, me: string, res: ServerResponse): void {
    const room = this.rooms.get(roomId);
    if (!room) return error(res, 404, 'M_NOT_FOUND', 'No known servers');
    const membership = this.membership(roomId, me);
    if (membership !== 'invite' && membership !== 'join') return error(res, 403, 'M_FORBIDDEN', 'You are not invited to this room.');
    if (membership !== 'join') this.join(roomId, me);
    json(res, 200, { room_id: roomId });
  }

  private roomApi(method: string, roomId: string, rest: string[], b: Record<string, unknown>, me: string, token: string, res: ServerResponse): void {
    const room = this.rooms.get(roomId);
    if (!room) return error(res, 404, 'M_NOT_FOUND', 'Unknown room');
    const membership = this.membership(roomId, me);
    const [what, a, c, d] = rest;
    if (method === 'POST' && what === 'leave') {
      if (membership !== 'join' && membership !== 'invite') return error(res, 403, 'M_FORBIDDEN', 'You are not in this room.');
      this.state(roomId, me, 'm.room.member', me, { membership: 'leave', ...(typeof b.reason === 'string' ? { reason: b.reason } : {}) });
      return json(res, 200, {});
    }
    if (method === 'POST' && what === 'join') return this.joinApi(roomId, me, res);
    if (membership !== 'join') return error(res, 403, 'M_FORBIDDEN', `User ${me} not in room ${roomId}`);
    if (method === 'POST' && what === 'invite') {
      this.invite(roomId, me, String(b.user_id));
      return json(res, 200, {});
    }
    if (method === 'PUT' && what === 'send' && a && c) {
      const txn = `${token}/${roomId}/${c}`;
      const known = this.txns.get(txn);
      if (known) return json(res, 200, { event_id: known });
      const ev = this.send(roomId, me, a, b);
      this.txns.set(txn, ev.event_id);
      return json(res, 200, { event_id: ev.event_id });
    }
    if (method === 'PUT' && what === 'redact' && a) {
      const target = room.events.find((e) => e.event_id === a);
      if (!target) return error(res, 404, 'M_NOT_FOUND', 'Event not found');
      if (target.sender !== me) return error(res, 403, 'M_FORBIDDEN', 'You cannot redact this event');
      const redaction = this.append(roomId, { type: 'm.room.redaction', sender: me, content: b, redacts: a });
      target.content = {};
      target.unsigned = { ...target.unsigned, redacted_because: redaction };
      return json(res, 200, { event_id: redaction.event_id });
    }
    if (what === 'state') {
      if (method === 'PUT' && a !== undefined) return json(res, 200, { event_id: this.state(roomId, me, a, c ?? '', b).event_id });
      if (a === undefined) return json(res, 200, [...room.state.values()]);
      const ev = room.state.get(stateKeyOf(a, c ?? ''));
      return ev ? json(res, 200, ev.content) : error(res, 404, 'M_NOT_FOUND', 'Event not found.');
    }
    if (method === 'GET' && what === 'event' && a) {
      const ev = room.events.find((e) => e.event_id === a);
      return ev ? json(res, 200, ev) : error(res, 404, 'M_NOT_FOUND', 'Event not found.');
    }
    if (method === 'GET' && what === 'relations' && a) return json(res, 200, { chunk: this.relations(roomId, a, c, d) });
    if (method === 'GET' && what === 'joined_members') {
      const joined = [...room.state.values()].filter((e) => e.type === 'm.room.member' && e.content.membership === 'join');
      return json(res, 200, { joined: Object.fromEntries(joined.map((e) => [e.state_key, {}])) });
    }
    if (method === 'POST' && what === 'receipt') return json(res, 200, {});
    error(res, 404, 'M_UNRECOGNIZED', 'Unrecognized request');
  }

  private async sync(me: string, url: URL, res: ServerResponse): Promise<void> {
    const sinceRaw = url.searchParams.get('since');
    const since = sinceRaw ? Number(sinceRaw.replace(/^s/, '')) : -1;
    const timeout = Number(url.searchParams.get('timeout') ?? 0);
    const filterParam = url.searchParams.get('filter');
    const filter = (filterParam ? (this.filters.get(filterParam) ?? (filterParam.startsWith('{') ? JSON.parse(filterParam) : undefined)) : undefined) as
      | { room?: { timeline?: { limit?: number } } }
      | undefined;
    const limit = filter?.room?.timeline?.limit ?? 10;
    const deadline = Date.now() + timeout;
    this.pendingSyncs.add(res);
    res.on('close', () => this.pendingSyncs.delete(res));
    for (;;) {
      const body = syncResponse({
        me,
        since,
        limit,
        pos: this.pos,
        rooms: [...this.rooms.values()],
        position: (e) => this.positions.get(e.event_id)!,
        accountData: [...(this.users.get(me)?.accountData.entries() ?? [])],
      });
      if (body.hasData || since < 0 || Date.now() >= deadline || res.destroyed) {
        this.pendingSyncs.delete(res);
        if (!res.destroyed) json(res, 200, body.response);
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

}
