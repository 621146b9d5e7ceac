/**
 * Turns /sync batches into core events: invites go to {@link Invites}; the history of a room
 * from before the bot joined, the bot's own events and edits are ignored; text messages,
 * numbered replies and reactions on the bot's buttons go to the sink. A room that turns
 * encryption on is left.
 */
import type { InboundButton, InboundMessage, InboundSink, LinkedUserCheck, Sender } from '../../src/core/types.js';
import { describe, isTransient, statusOf } from './errors.js';
import {
  buttonsOf,
  choiceNumber,
  commandText,
  eventKey,
  isEdit,
  isOwnJoin,
  messageParts,
  reactionPress,
  type MatrixEvent,
} from './inbound.js';
import { Invites } from './invites.js';
import type { MatrixTexts } from './messages.js';
import type { BotMessages, DirectRooms } from './state.js';
import type { SyncingClient, SyncResponse } from './transport.js';
import type { Logger } from 'pino';

/** What the receiver needs. */
export interface ReceiverDeps {
  client: SyncingClient;
  userId: string;
  workspace: string;
  sink: InboundSink;
  direct: DirectRooms;
  botMessages: BotMessages;
  isLinkedUser?: LinkedUserCheck;
  allowedServers: readonly string[];
  texts: MatrixTexts;
  log: Logger;
}

/** The sink refused an event (queue unreachable): the batch must be fetched again. */
class SinkError extends Error {
  constructor(cause: unknown) {
    super(`inbound sink failed: ${describe(cause)}`, { cause });
    this.name = 'SinkError';
  }
}

const PROFILE_TTL_MS = 10 * 60_000;

/** Handles sync batches for one bot account; see the module comment. */
export class MatrixReceiver {
  private readonly d: ReceiverDeps;
  /** Per room, the bot's last message with buttons: a bare number in a direct chat presses it. */
  private readonly lastButtons = new Map<string, string>();
  private readonly profiles = new Map<string, { name?: string; at: number }>();

  private readonly invites: Invites;

  constructor(deps: ReceiverDeps) {
    this.d = deps;
    this.invites = new Invites(deps);
  }

  /** Handles one batch; throws (so the batch is fetched again) only when retrying can help. */
  async handleBatch(raw: SyncResponse, initial: boolean): Promise<void> {
    const rooms = raw.rooms ?? {};
    for (const [roomId, room] of Object.entries(rooms.invite ?? {})) {
      await this.guard(roomId, () => this.invites.onInvite(roomId, (room.invite_state?.events ?? []) as MatrixEvent[]));
    }
    for (const [roomId, room] of Object.entries(rooms.join ?? {})) {
      await this.onJoinedRoom(roomId, (room.state?.events ?? []) as MatrixEvent[], (room.timeline?.events ?? []) as MatrixEvent[], initial);
    }
  }

  /** Runs one step; an error that retrying cannot fix (a 4xx, a bug) is logged and the step skipped. */
  private async guard(roomId: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      const status = statusOf(err);
      const network = status === undefined && typeof (err as { code?: unknown })?.code === 'string';
      if (err instanceof SinkError || network || (status !== undefined && isTransient(err))) throw err;
      this.d.log.error({ roomId, err: describe(err) }, 'matrix event skipped');
    }
  }

  private async onJoinedRoom(roomId: string, state: MatrixEvent[], timeline: MatrixEvent[], initial: boolean): Promise<void> {
    const me = this.d.userId;
    if ([...state, ...timeline].some((e) => e.type === 'm.room.encryption' && e.state_key === '')) {
      await this.guard(roomId, () => this.invites.explainAndLeave(roomId, false));
      return;
    }
    // Events up to the bot's own join are the room's history, shown to newcomers: not for the bot.
    let joinedAt = -1;
    timeline.forEach((ev, i) => {
      if (isOwnJoin(ev, me)) joinedAt = i;
    });
    for (const [i, ev] of timeline.entries()) {
      if (ev.sender === me) {
        this.observeOwn(roomId, ev);
        continue;
      }
      if (initial || i <= joinedAt) continue;
      await this.guard(roomId, () => this.onEvent(roomId, ev));
    }
  }

  /** Keeps track of the bot's messages with buttons, as the sync shows them back. */
  private observeOwn(roomId: string, ev: MatrixEvent): void {
    if (ev.type !== 'm.room.message') return;
    if (isEdit(ev.content)) {
      const target = (ev.content['m.relates_to'] as { event_id?: unknown } | undefined)?.event_id;
      const inner = ev.content['m.new_content'];
      if (typeof target !== 'string' || !inner || typeof inner !== 'object') return;
      const keys = buttonsOf(inner as Record<string, unknown>);
      this.d.botMessages.remember(target, keys);
      if (keys.length === 0 && this.lastButtons.get(roomId) === target) this.lastButtons.delete(roomId);
      return;
    }
    const keys = buttonsOf(ev.content);
    this.d.botMessages.remember(ev.event_id, keys);
    if (keys.length > 0) this.lastButtons.set(roomId, ev.event_id);
  }

  private async onEvent(roomId: string, ev: MatrixEvent): Promise<void> {
    if (ev.unsigned?.redacted_because || ev.state_key !== undefined) return;
    if (ev.type === 'm.room.message') await this.onMessage(roomId, ev);
    else if (ev.type === 'm.reaction') await this.onReaction(roomId, ev);
  }

  private isDirect(roomId: string): boolean {
    return this.d.direct.has(roomId) || this.d.client.dms.isDm(roomId);
  }

  private base(roomId: string, ev: MatrixEvent, threadId?: string) {
    return {
      id: eventKey(ev.event_id),
      chat: { platform: 'matrix' as const, workspace: this.d.workspace, chatId: roomId, isDirect: this.isDirect(roomId), ...(threadId ? { threadId } : {}) },
      sender: { userId: ev.sender } as Sender,
      at: new Date(ev.origin_server_ts ?? Date.now()).toISOString(),
    };
  }

  private async onMessage(roomId: string, ev: MatrixEvent): Promise<void> {
    // Other bots speak in notices; answering them could start a loop.
    if (ev.content.msgtype !== 'm.text' || isEdit(ev.content)) return;
    const parts = messageParts(ev.content);
    const base = this.base(roomId, ev, parts.threadId);
    const n = choiceNumber(parts.text);
    if (n !== undefined) {
      // A number answers the bot message it replies to, or in a direct chat the last one with buttons.
      const target = parts.replyTo ?? (base.chat.isDirect ? this.lastButtons.get(roomId) : undefined);
      if (target && n <= (await this.buttonKeys(roomId, target)).length) {
        const press: InboundButton = { ...base, kind: 'button', messageId: target, choice: n - 1 };
        await this.submit(press);
        return;
      }
    }
    const cmd = commandText(parts.text, this.d.userId, base.chat.isDirect);
    if (!cmd) return;
    const event: InboundMessage = {
      ...base,
      sender: await this.sender(ev.sender),
      kind: 'message',
      text: cmd.text,
      addressed: cmd.addressed,
      ...(parts.mentions.length > 0 ? { mentions: parts.mentions } : {}),
      ...(parts.replyTo ? { replyToMessageId: parts.replyTo } : {}),
    };
    await this.submit(event);
  }

  private async onReaction(roomId: string, ev: MatrixEvent): Promise<void> {
    const rel = ev.content['m.relates_to'] as { rel_type?: unknown; event_id?: unknown; key?: unknown } | undefined;
    if (rel?.rel_type !== 'm.annotation' || typeof rel.event_id !== 'string' || typeof rel.key !== 'string') return;
    // People react to each other's messages (and 👍 the bot's) all the time: only a button's reaction is a press.
    const keys = await this.buttonKeys(roomId, rel.event_id);
    const pressed = reactionPress(rel.key);
    if ('key' in pressed ? !keys.includes(pressed.key) : pressed.choice >= keys.length) return;
    const press: InboundButton = { ...this.base(roomId, ev), kind: 'button', messageId: rel.event_id, ...pressed };
    await this.submit(press);
  }

  /** The button keys of a bot message (none for anyone else's), asked to the server when not seen yet. */
  private async buttonKeys(roomId: string, eventId: string): Promise<string[]> {
    const known = this.d.botMessages.get(eventId);
    if (known) return known;
    try {
      const ev = (await this.d.client.getRawEvent(roomId, eventId)) as MatrixEvent;
      const keys = ev.sender === this.d.userId ? buttonsOf(ev.content) : [];
      this.d.botMessages.remember(eventId, keys);
      return keys;
    } catch (err) {
      if (isTransient(err)) throw err;
      return [];
    }
  }

  /** The sender with their display name (from the profile, cached for a while; none if it fails). */
  private async sender(userId: string): Promise<Sender> {
    const now = Date.now();
    let cached = this.profiles.get(userId);
    if (!cached || now - cached.at > PROFILE_TTL_MS) {
      let name: string | undefined;
      try {
        const profile = (await this.d.client.getUserProfile(userId)) as { displayname?: unknown };
        if (typeof profile.displayname === 'string' && profile.displayname.trim()) name = profile.displayname.trim();
      } catch {
        // A display name is a nicety; the user id is enough.
      }
      cached = { ...(name ? { name } : {}), at: now };
      this.profiles.set(userId, cached);
    }
    return { userId, ...(cached.name ? { displayName: cached.name } : {}) };
  }

  private async submit(event: InboundMessage | InboundButton): Promise<void> {
    try {
      await this.d.sink(event);
    } catch (err) {
      throw new SinkError(err);
    }
  }
}
