/**
 * Senders' names and languages from `users.info` (scope `users:read`), cached for an hour and
 * never waited for long: an event is queued without them rather than acknowledged late.
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Sender } from '../../src/core/types.js';

const TTL_MS = 3600_000;

/** Looks up and caches Slack user profiles. */
export class SlackProfiles {
  private readonly cache = new Map<string, { sender: Sender; at: number }>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
    private readonly timeoutMs = 700,
  ) {}

  /** The core sender for a Slack user: id, handle, and the profile's name and locale when known in time. */
  async sender(userId: string, username?: string): Promise<Sender> {
    const base: Sender = { userId, ...(username ? { username } : {}) };
    const cached = this.cache.get(userId);
    if (cached && Date.now() - cached.at < TTL_MS) return { ...cached.sender, ...base };
    const lookup = this.client.users.info({ user: userId, include_locale: true }).then((r) => {
      const u = r.user;
      const name = u?.profile?.display_name || u?.real_name || u?.profile?.real_name || undefined;
      const sender: Sender = { userId, ...(name ? { displayName: name } : {}), ...(u?.locale ? { locale: u.locale } : {}) };
      this.cache.set(userId, { sender, at: Date.now() });
      return { ...sender, ...base };
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Sender>((resolve) => {
      timer = setTimeout(() => resolve(base), this.timeoutMs);
    });
    try {
      return await Promise.race([lookup, late]);
    } catch (err) {
      this.logger.debug({ err, userId }, 'slack: users.info failed; going on without the profile');
      return base;
    } finally {
      clearTimeout(timer);
      lookup.catch(() => undefined);
    }
  }
}
