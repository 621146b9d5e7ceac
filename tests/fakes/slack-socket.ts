/**
 * The Socket Mode side of the fake Slack: a tiny WebSocket server (RFC 6455 handshake and text,
 * ping and close frames; enough for Bolt's Socket Mode client) on the fake's HTTP server. It
 * greets with `hello`, pushes envelopes (`events_api`, `slash_commands`, `interactive`) and
 * records the client's acknowledgements. As Slack does, it sends an Events API envelope that was
 * not acknowledged again, as a new envelope with `retry_attempt` and `retry_reason`, three times
 * at most (Slack: at 3 s, then after a minute and five; here after `retryDelaysMs`).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** An acknowledgement the client sent for an envelope. */
export interface SocketAck {
  envelope_id: string;
  payload?: unknown;
}

/** Drives the Socket Mode connection from a test. */
export interface FakeSocketMode {
  /** Resolves once a client connected and was greeted. */
  connected(timeoutMs?: number): Promise<void>;
  /** Pushes an envelope to the connected client; returns its envelope id. */
  push(type: 'events_api' | 'slash_commands' | 'interactive', payload: unknown, extra?: Record<string, unknown>): string;
  /** The envelope ids an Events API envelope was sent with: the first, then each retry's. */
  attemptsOf(envelopeId: string): string[];
  acks: SocketAck[];
  /** Resolves with the ack of an envelope (rejects after `timeoutMs`). */
  ackOf(envelopeId: string, timeoutMs?: number): Promise<SocketAck>;
  close(): void;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Reads complete client frames from `buf`; returns them and what is left. */
function readFrames(buf: Buffer): { frames: { opcode: number; data: Buffer }[]; rest: Buffer } {
  const frames: { opcode: number; data: Buffer }[] = [];
  let at = 0;
  while (buf.length - at >= 2) {
    const opcode = buf[at]! & 0x0f;
    const masked = (buf[at + 1]! & 0x80) !== 0;
    let len = buf[at + 1]! & 0x7f;
    let off = at + 2;
    if (len === 126) {
      if (buf.length < off + 2) break;
      len = buf.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      if (buf.length < off + 8) break;
      len = Number(buf.readBigUInt64BE(off));
      off += 8;
    }
    const maskLen = masked ? 4 : 0;
    if (buf.length < off + maskLen + len) break;
    const mask = masked ? buf.subarray(off, off + 4) : undefined;
    const data = Buffer.from(buf.subarray(off + maskLen, off + maskLen + len));
    if (mask) for (let i = 0; i < data.length; i++) data[i]! ^= mask[i % 4]!;
    frames.push({ opcode, data });
    at = off + maskLen + len;
  }
  return { frames, rest: buf.subarray(at) };
}

/** When Slack sends an unacknowledged Events API envelope again (ms after the attempt before). */
const SLACK_RETRY_DELAYS_MS = [3000, 60_000, 300_000];

/** Serves Socket Mode WebSockets at `path` on `server`; unacknowledged events come back after `retryDelaysMs`. */
export function attachSocketMode(server: Server, path: string, retryDelaysMs: readonly number[] = SLACK_RETRY_DELAYS_MS): FakeSocketMode {
  let socket: Duplex | undefined;
  let greeted: (() => void) | undefined;
  let ready = new Promise<void>((resolve) => (greeted = resolve));
  let seq = 0;
  const acks: SocketAck[] = [];
  /** Envelope ids of each event's attempts, by its first envelope id. */
  const attempts = new Map<string, string[]>();
  const retries = new Set<NodeJS.Timeout>();

  server.on('upgrade', (req: IncomingMessage, sock: Duplex) => {
    const key = req.headers['sec-websocket-key'];
    if (!req.url?.startsWith(path) || typeof key !== 'string') {
      sock.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket = sock;
    let pending: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      const { frames, rest } = readFrames(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const f of frames) {
        if (f.opcode === 0x1) acks.push(JSON.parse(f.data.toString('utf8')) as SocketAck);
        else if (f.opcode === 0x9) sock.write(frame(0xa, f.data));
        else if (f.opcode === 0x8) {
          sock.end(frame(0x8, f.data.subarray(0, 2)));
          if (socket === sock) socket = undefined;
          ready = new Promise<void>((resolve) => (greeted = resolve));
        }
      }
    });
    sock.on('error', () => undefined);
    sock.write(frame(0x1, Buffer.from(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0PILOTE' } }))));
    greeted?.();
  });

  const wait = async <T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = get();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`fake socket mode: no ${what} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  return {
    acks,
    async connected(timeoutMs = 5000) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        ready,
        new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error('fake socket mode: no client connected')), timeoutMs))),
      ]).finally(() => clearTimeout(timer));
    },
    push(type, payload, extra = {}) {
      if (!socket) throw new Error('fake socket mode: no client connected');
      const send = (attempt: number): string => {
        const envelope_id = `env-${++seq}`;
        const retry = attempt > 0 ? { retry_attempt: attempt, retry_reason: 'timeout' } : {};
        socket?.write(frame(0x1, Buffer.from(JSON.stringify({ envelope_id, type, payload, accepts_response_payload: type !== 'events_api', ...retry, ...extra }))));
        return envelope_id;
      };
      const first = send(0);
      if (type !== 'events_api') return first;
      attempts.set(first, [first]);
      const later = (attempt: number) => {
        const delay = retryDelaysMs[attempt - 1];
        if (delay === undefined) return;
        const timer = setTimeout(() => {
          retries.delete(timer);
          const sent = attempts.get(first)!;
          if (acks.some((a) => sent.includes(a.envelope_id)) || !socket) return;
          sent.push(send(attempt));
          later(attempt + 1);
        }, delay);
        retries.add(timer);
      };
      later(1);
      return first;
    },
    attemptsOf: (id) => attempts.get(id) ?? [id],
    ackOf: (id, timeoutMs = 5000) => wait(() => acks.find((a) => a.envelope_id === id), timeoutMs, `ack of ${id}`),
    close() {
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      socket?.destroy();
      socket = undefined;
    },
  };
}
