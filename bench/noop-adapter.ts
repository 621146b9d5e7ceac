/**
 * An adapter that sends nowhere: `send` resolves at once and reports each message (with the
 * time it arrived) to a listener, so the bench can tell when a command's reply or a reminder
 * was delivered. It receives nothing itself: the bench submits events to the app directly.
 */
import type { Adapter, ChatAddress, InboundSink, OutboundMessage, Platform, SendResult } from '../src/core/types.js';
import { nowMs } from './lib/stats.js';

/** Called for each message "delivered", with the high-resolution time it arrived. */
export type DeliveryListener = (to: ChatAddress, message: OutboundMessage, atMs: number) => void;

/** The no-op adapter; see the module comment. */
export class NoopAdapter implements Adapter {
  readonly platform: Platform;
  readonly workspace = '';
  /** Messages sent so far. */
  sent = 0;
  private seq = 0;
  private readonly listener: DeliveryListener;

  constructor(listener: DeliveryListener, platform: Platform = 'console') {
    this.listener = listener;
    this.platform = platform;
  }

  async startReceiving(_sink: InboundSink): Promise<void> {}

  async startSending(): Promise<void> {}

  async send(to: ChatAddress, message: OutboundMessage): Promise<SendResult> {
    this.sent++;
    this.listener(to, message, nowMs());
    return { messageId: message.editOf ?? `noop-${++this.seq}` };
  }

  async stop(): Promise<void> {}
}
