/**
 * The context a command handler gets: the event, the member who sent it, a transaction, and
 * `reply` bound to where the event came from (STYLE idea 3). Everything sent through it is
 * written to the outbox in the same transaction as the change.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { PrismaClient, Tx } from '../db/client.js';
import type { Actor } from '../domain/permissions.js';
import type { Role } from '../generated/prisma/enums.js';
import { translator, type Locale, type MessageKey, type Param, type Translate } from '../i18n/index.js';
import type { ChatAddress, InboundEvent, OutboundMessage, Platform } from './types.js';

/** Long-lived services a process shares (STYLE idea 5: passed in, never global). */
export interface Services {
  config: Config;
  prisma: PrismaClient;
  redis: Redis;
  logger: Logger;
  /** Current time; tests may inject another clock. */
  clock: () => Date;
}

/** The member behind an event, with the commune they belong to. */
export interface MemberInfo {
  id: string;
  identityId: string;
  role: Role;
  displayName: string;
  locale: Locale;
  /** The member's zone, else the commune's. */
  zone: string;
  commune: { id: string; name: string; insee: string; timezone: string };
}

/** A message waiting to be written to the outbox. */
export interface Outgoing {
  to: ChatAddress;
  message: OutboundMessage;
  communeId?: string;
  memberId?: string;
  identityId?: string;
}

/** Platform enum value stored in the database for a core platform name. */
export function dbPlatform(p: Platform): Actor['platform'] {
  return p.toUpperCase() as Actor['platform'];
}

/** What the sender's chat identity leads to: their identity, member and commune, in one row. */
export interface SenderIdentity {
  identityId: string;
  directChatId: string | null;
  unreachableAt: Date | null;
  memberId: string;
  role: Role;
  displayName: string;
  locale: string;
  timezone: string | null;
  erasedAt: Date | null;
  communeId: string;
  communeName: string;
  insee: string;
  communeTimezone: string;
}

/** Per-event context; built by the inbound handler, passed through the middleware. */
export class Context {
  readonly event: InboundEvent;
  readonly services: Services;
  readonly db: Tx;
  readonly now: Date;
  /** Locale of the answer: the member's, else the platform's hint, else the default. */
  locale: Locale;
  member?: MemberInfo;
  /** Messages to write to the outbox when the transaction commits. */
  readonly outgoing: Outgoing[] = [];
  /** Reminders created or moved by this event, to (re)schedule once the transaction commits. */
  readonly reminderIds = new Set<string>();
  /** Command name and arguments once routed. */
  command?: { name: string; args: string };
  /** How the command ended, for metrics: ok unless a step says otherwise (usage, forbidden…). */
  outcome = 'ok';

  /**
   * The sender's identity row, looked up by the inbound handler for all the events of a batch at
   * once (`findIdentities`); null when the sender is not linked. `identify` turns it into `member`.
   */
  readonly identity: SenderIdentity | null;
  /**
   * The event's rank among its sender's events of the minute, counted by the ingress pump that
   * took it (or `rankEvents`, for a job that carries none); `rateLimit` reads it. 0 where no
   * middleware runs.
   */
  readonly rank: number;

  constructor(event: InboundEvent, services: Services, db: Tx, locale: Locale, identity: SenderIdentity | null, rank: number) {
    this.event = event;
    this.identity = identity;
    this.rank = rank;
    this.services = services;
    this.db = db;
    this.locale = locale;
    this.now = services.clock();
  }

  /** Translates in the context's locale. */
  get t(): Translate {
    return translator(this.locale);
  }

  /** Shortcut for `t(key, params)`. */
  tr(key: MessageKey, params?: Record<string, Param>): string {
    return this.t(key, params);
  }

  /** Answers in the chat (and thread) the event came from. */
  reply(message: OutboundMessage | string): void {
    const msg = typeof message === 'string' ? { text: message } : message;
    const { isDirect: _direct, ...to } = this.event.chat;
    const out: Outgoing = { to, message: msg };
    if (this.member) {
      out.communeId = this.member.commune.id;
      if (this.event.chat.isDirect) {
        out.memberId = this.member.id;
        out.identityId = this.member.identityId;
      }
    }
    this.outgoing.push(out);
  }

  /** Asks for reminders to be (re)scheduled after commit (ids from the reminder use cases). */
  schedule(ids: Iterable<string>): void {
    for (const id of ids) this.reminderIds.add(id);
  }

  /** Queues a message to another chat (a member's direct chat, a bound room). */
  send(out: Outgoing): void {
    this.outgoing.push(out);
  }

  /** The member as a domain actor; only valid after identification. */
  get actor(): Actor {
    const m = this.member;
    if (!m) throw new Error('no member identified for this event');
    return { memberId: m.id, communeId: m.commune.id, role: m.role, platform: dbPlatform(this.event.chat.platform) };
  }
}

/** A step of the pipeline (grammY/Bolt style): do work, then maybe call `next`. */
export type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void>;

/** Composes middleware into one, run in order. */
export function compose(middleware: Middleware[]): Middleware {
  return (ctx, last) => {
    let index = -1;
    const dispatch = async (i: number): Promise<void> => {
      if (i <= index) throw new Error('next() called twice');
      index = i;
      const fn = i === middleware.length ? last : middleware[i];
      if (fn) await fn(ctx, () => dispatch(i + 1));
    };
    return dispatch(0);
  };
}
