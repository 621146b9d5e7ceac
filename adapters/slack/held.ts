/**
 * Runs one Slack request through Bolt with its acknowledgement held back, for both receivers
 * (HTTP and Socket Mode): Slack hears that a request was taken only once the listeners have
 * handed its event to the ingress of the inbound queue. Bolt acknowledges an Events API event
 * itself, before any listener runs, so only a command's or a button's ack, or the listeners'
 * end, says that the event was queued; an event that was not is left unacknowledged and Slack
 * sends it again.
 */
import type { App, ReceiverEvent } from '@slack/bolt';
import type { Logger } from 'pino';

/** What became of a request: queued (with what a listener acknowledged it with), or not. */
export type HeldOutcome = { queued: true; response: unknown } | { queued: false };

/**
 * Runs `body` through `app` and waits at most `timeoutMs` (Slack gives up at 3 s) for the
 * listeners to queue it. `retryNum` and `retryReason` are Slack's, when it sends a request again.
 */
export async function runHeld(
  app: App,
  body: Record<string, unknown>,
  opts: { timeoutMs: number; logger: Logger; retryNum?: number | undefined; retryReason?: string | undefined },
): Promise<HeldOutcome> {
  let acked = false;
  let response: unknown;
  const event: ReceiverEvent = {
    body,
    ...(opts.retryNum !== undefined ? { retryNum: opts.retryNum } : {}),
    ...(opts.retryReason ? { retryReason: opts.retryReason } : {}),
    ack: async (r?: unknown) => {
      if (acked) return;
      acked = true;
      response = r;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), opts.timeoutMs);
  });
  const outcome = await Promise.race([
    app.processEvent(event).then(
      () => 'done' as const,
      (err: unknown) => {
        opts.logger.warn({ err: (err as { original?: unknown }).original ?? err }, 'slack: could not queue the request');
        return 'failed' as const;
      },
    ),
    timeout,
  ]);
  clearTimeout(timer);
  // Acknowledged by a listener, or nothing listened (an event Pilote ignores): both are taken.
  if (outcome === 'done' || (outcome === 'timeout' && acked && body.type !== 'event_callback')) return { queued: true, response };
  if (outcome === 'timeout') opts.logger.warn('slack: request not queued within the ack deadline');
  return { queued: false };
}
