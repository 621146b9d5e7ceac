/**
 * The /sync answer of the fake Matrix homeserver, computed from its rooms: joined rooms with
 * what is new since the token (or, for a room the user just joined, its recent history, as a
 * server with shared history visibility does), invites with their stripped state, rooms left,
 * and the account data that changed.
 */
import type { FakeEvent, Room } from './matrix.js';

/** The key of a state event in a room's state map. */
export function stateKeyOf(type: string, stateKey: string): string {
  return `${type}\u0000${stateKey}`;
}

/** The current membership of `userId` in a room. */
export function membershipOf(room: Room, userId: string): string | undefined {
  return room.state.get(stateKeyOf('m.room.member', userId))?.content.membership as string | undefined;
}

function memberPosition(room: Room, userId: string, position: (e: FakeEvent) => number): number {
  const ev = room.state.get(stateKeyOf('m.room.member', userId));
  return ev ? position(ev) : -1;
}

/** An event as a client receives it in /sync (no room_id, as in the spec's sync format). */
function clientEvent(e: FakeEvent): Omit<FakeEvent, 'room_id'> {
  const { room_id: _room, ...rest } = e;
  return rest;
}

/** What {@link syncResponse} reads. */
export interface SyncInput {
  me: string;
  /** Stream position of the `since` token; -1 for an initial sync. */
  since: number;
  /** Events per room timeline (the filter's `room.timeline.limit`). */
  limit: number;
  /** The current stream position (the next token). */
  pos: number;
  rooms: Room[];
  position: (e: FakeEvent) => number;
  accountData: [string, { content: unknown; pos: number }][];
}

/** The /sync answer for `me` since a position; `hasData` is false when there is nothing new. */
export function syncResponse({ me, since, limit, pos, rooms, position, accountData }: SyncInput): { hasData: boolean; response: unknown } {
  const join: Record<string, unknown> = {};
  const invite: Record<string, unknown> = {};
  const leave: Record<string, unknown> = {};
  const initial = since < 0;
  const after = (e: FakeEvent) => position(e) > since;
  for (const room of rooms) {
    const membership = membershipOf(room, me);
    const membershipAt = memberPosition(room, me, position);
    const changed = initial || membershipAt > since;
    if (membership === 'join') {
      // A new member sees the recent history (shared visibility); others see what is new.
      const events = changed ? room.events : room.events.filter(after);
      if (events.length === 0) continue;
      const timeline = events.slice(-limit);
      const first = timeline[0]!;
      const state = changed ? [...room.state.values()].filter((e) => !timeline.includes(e) && position(e) < position(first)) : [];
      join[room.id] = {
        timeline: { events: timeline.map((e) => clientEvent(e)), limited: events.length > timeline.length, prev_batch: `p${position(first)}` },
        state: { events: state.map((e) => clientEvent(e)) },
        ephemeral: { events: [] },
        account_data: { events: [] },
      };
    } else if (membership === 'invite' && changed) {
      const keep = ['m.room.create', 'm.room.name', 'm.room.join_rules', 'm.room.encryption', 'm.room.canonical_alias'];
      const mine = room.state.get(stateKeyOf('m.room.member', me))!;
      const inviter = room.state.get(stateKeyOf('m.room.member', mine.sender));
      const stripped = [...room.state.values()].filter((e) => keep.includes(e.type));
      if (inviter) stripped.push(inviter);
      stripped.push(mine);
      invite[room.id] = { invite_state: { events: stripped.map((e) => ({ type: e.type, state_key: e.state_key, sender: e.sender, content: e.content })) } };
    } else if ((membership === 'leave' || membership === 'ban') && changed && !initial) {
      const events = room.events.filter((e) => after(e) && position(e) <= membershipAt);
      leave[room.id] = { timeline: { events: events.map((e) => clientEvent(e)) }, state: { events: [] } };
    }
  }
  const data = accountData.filter(([, v]) => initial || v.pos > since).map(([type, v]) => ({ type, content: v.content }));
  const hasData = Object.keys(join).length + Object.keys(invite).length + Object.keys(leave).length + data.length > 0;
  return {
    hasData,
    response: {
      next_batch: `s${pos}`,
      rooms: { join, invite, leave },
      account_data: { events: data },
      presence: { events: [] },
      to_device: { events: [] },
      device_one_time_keys_count: {},
    },
  };
}
