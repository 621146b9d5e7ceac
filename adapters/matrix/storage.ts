/**
 * matrix-bot-sdk's storage provider over the core's {@link AdapterStore} (PostgreSQL's
 * `AdapterState` table): the sync token, the sync filter and the SDK's small key/values, under
 * a key prefix per bot account. Also a memory store for when no store is given.
 */
import type { IFilterInfo, IStorageProvider } from 'matrix-bot-sdk';
import type { AdapterStore } from '../../src/core/types.js';

/** An {@link AdapterStore} in memory (tests of parts, or a process without a database). */
export class MemoryAdapterStore implements AdapterStore {
  private readonly values = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
}

/** The SDK's storage provider, keeping everything in the store under `prefix`. */
export class StoreStorageProvider implements IStorageProvider {
  private readonly store: AdapterStore;
  private readonly prefix: string;

  constructor(store: AdapterStore, prefix: string) {
    this.store = store;
    this.prefix = prefix;
  }

  async setSyncToken(token: string | null): Promise<void> {
    // An empty value stands for "none" (the store has no delete).
    await this.store.set(`${this.prefix}sync`, token ?? '');
  }

  async getSyncToken(): Promise<string | null> {
    return (await this.store.get(`${this.prefix}sync`)) || null;
  }

  async setFilter(filter: IFilterInfo): Promise<void> {
    await this.store.set(`${this.prefix}filter`, JSON.stringify(filter));
  }

  async getFilter(): Promise<IFilterInfo> {
    const raw = await this.store.get(`${this.prefix}filter`);
    // The SDK reads a missing filter as null, although its interface does not say so.
    return (raw ? JSON.parse(raw) : null) as IFilterInfo;
  }

  async storeValue(key: string, value: string): Promise<void> {
    await this.store.set(`${this.prefix}kv:${key}`, value);
  }

  async readValue(key: string): Promise<string | null | undefined> {
    return this.store.get(`${this.prefix}kv:${key}`);
  }
}
