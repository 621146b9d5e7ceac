/**
 * The Bolt listeners: each turns one kind of Slack request into a core event and hands it to the
 * ingress of the inbound queue. A command's or a button's `ack()` comes after the event is
 * queued, so a queue outage makes the request fail visibly (or Slack retry) instead of losing it.
 */
import type { App } from '@slack/bolt';
import type { InboundEvent, Sender } from '../../src/core/types.js';
import {
  ACTION_PREFIX,
  buttonEvent,
  commandEvent,
  messageEvent,
  type BlockActions,
  type EventEnvelope,
  type MessageEvent,
  type SlackIdentity,
  type SlashCommand,
} from './inbound.js';

/** The name of Pilote's slash command (see slack-manifest.yml). */
export const SLASH_COMMAND = '/pilote';

/** What the listeners need from the adapter. */
export interface ListenerDeps {
  /** Who the bot is (known once `auth.test` answered). */
  me: () => SlackIdentity;
  /** Hands an event to the ingress of the inbound queue; rejects when it cannot. */
  submit: (event: InboundEvent) => Promise<void>;
  /** The sender's name and language, as far as Slack tells quickly. */
  sender: (userId: string, username?: string) => Promise<Sender>;
}

/** Registers Pilote's listeners on a Bolt app. */
export function registerListeners(app: App, deps: ListenerDeps): void {
  app.command(SLASH_COMMAND, async ({ command, ack }) => {
    const cmd = command as unknown as SlashCommand;
    await deps.submit(commandEvent(cmd, deps.me(), await deps.sender(cmd.user_id, cmd.user_name)));
    await ack();
  });

  const onMessage = async ({ event, body }: { event: unknown; body: unknown }) => {
    const ev = event as MessageEvent;
    // Decide first (most events are ignored), then look the sender up.
    const inbound = messageEvent(body as EventEnvelope, ev, deps.me(), { userId: ev.user ?? '' });
    if (!inbound) return;
    await deps.submit({ ...inbound, sender: await deps.sender(inbound.sender.userId) });
  };
  app.event('message', onMessage);
  app.event('app_mention', onMessage);

  app.action({ type: 'block_actions', action_id: new RegExp(`^${ACTION_PREFIX.replace('.', '\\.')}`) }, async ({ body, ack }) => {
    const actions = body as unknown as BlockActions;
    const inbound = buttonEvent(actions, deps.me(), await deps.sender(actions.user.id, actions.user.username));
    if (inbound) await deps.submit(inbound);
    await ack();
  });

  // Let failures reach the receiver (it answers 503 so Slack retries, and logs once).
  app.error(async (err) => {
    throw err;
  });
}
