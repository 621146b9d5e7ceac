/**
 * What the Matrix adapter remembers between events: which events are the bot's messages with
 * buttons (a bounded cache; the server is asked for the rest), and which rooms are direct chats
 * (kept in the core's store so a restart knows them).
 */
import type { AdapterStore } from '../../src/core/types.js';

/** The bot's messages and the reaction keys of their buttons; the oldest are forgotten first. */
export class BotMessages {
  private readonly keys = new Map<string, string[]>();
  private readonly max: number;

  constructor(max = 2000) {
    this.max = max;
  }

  /** Records an event: the bot's with its button keys, or anyone else's with none. */
  remember(eventId: string, keys: string[]): void {
    this.keys.delete(eventId);
    this.keys.set(eventId, keys);
    if (this.keys.size > this.max) this.keys.delete(this.keys.keys().next().value!);
  }

  /** The button keys of a known event, undefined if unknown. */
  get(eventId: string): string[] | undefined {
    return this.keys.get(eventId);
  }
}

/** The rooms the bot accepted as direct chats, persisted as one JSON list in the store. */
export class DirectRooms {
  private readonly store: AdapterStore;
  private readonly key: string;
  private rooms = new Set<string>();

  constructor(store: AdapterStore, key: string) {
    this.store = store;
    this.key = key;
  }

  /** Reads the list from the store. */
  async load(): Promise<void> {
    const raw = await this.store.get(this.key);
    this.rooms = new Set(raw ? (JSON.parse(raw) as string[]) : []);
  }

  /** True if the room is a direct chat of the bot. */
  has(roomId: string): boolean {
    return this.rooms.has(roomId);
  }

  /** Marks a room as a direct chat. */
  async add(roomId: string): Promise<void> {
    if (this.rooms.has(roomId)) return;
    this.rooms.add(roomId);
    await this.store.set(this.key, JSON.stringify([...this.rooms]));
  }
}
