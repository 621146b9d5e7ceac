/** Correctly signed Slack requests (events, slash commands, interactivity) for the adapter tests. */
import { randomBytes } from 'node:crypto';
import { slackSignature } from '../../../adapters/slack/signature.js';

/** The answer to a request, with how long it took. */
export interface SlackReply {
  status: number;
  text: string;
  ms: number;
}

/** What to send. */
export interface SignedRequest {
  body: string;
  contentType: 'application/json' | 'application/x-www-form-urlencoded';
  /** Seconds since the epoch written in the timestamp header (default: now). */
  timestamp?: number;
  /** Replaces the computed signature. */
  signature?: string;
  headers?: Record<string, string>;
}

/** POSTs a request to `/slack/events`, signed with `secret` unless told otherwise. */
export async function postSlack(port: number, secret: string, req: SignedRequest): Promise<SlackReply> {
  const ts = String(req.timestamp ?? Math.floor(Date.now() / 1000));
  const started = Date.now();
  const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': req.contentType,
      'x-slack-request-timestamp': ts,
      'x-slack-signature': req.signature ?? slackSignature(secret, ts, req.body),
      ...req.headers,
    },
    body: req.body,
  });
  return { status: res.status, text: await res.text(), ms: Date.now() - started };
}

/** A random id in Slack's style. */
export function slackId(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex').toUpperCase()}`;
}

/** A form-encoded `/pilote` slash command. */
export function slashCommand(f: { team: string; channel: string; channelName?: string; user: string; userName?: string; text: string }): SignedRequest {
  const form = new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: f.team,
    team_domain: 'pilote-test',
    channel_id: f.channel,
    channel_name: f.channelName ?? 'mairie',
    user_id: f.user,
    user_name: f.userName ?? 'someone',
    command: '/pilote',
    text: f.text,
    api_app_id: 'A0PILOTE',
    is_enterprise_install: 'false',
    response_url: 'https://hooks.slack.invalid/commands/1/2/3',
    trigger_id: `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`,
  });
  return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
}

/** A JSON `event_callback` carrying `event`. */
export function eventCallback(team: string, eventId: string, event: Record<string, unknown>, headers?: Record<string, string>): SignedRequest {
  const body = {
    token: 'legacy-verification-token',
    team_id: team,
    api_app_id: 'A0PILOTE',
    event: { event_ts: event.ts, ...event },
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: team, user_id: 'U0PILOTE', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
  return { body: JSON.stringify(body), contentType: 'application/json', ...(headers ? { headers } : {}) };
}

/** A direct message to the bot (`message.im`). */
export function directMessage(team: string, eventId: string, f: { user: string; channel: string; text: string }): SignedRequest {
  return eventCallback(team, eventId, { type: 'message', channel_type: 'im', channel: f.channel, user: f.user, text: f.text, ts: slackTs() });
}

let tsSeq = 0;
/** A fresh Slack message timestamp. */
export function slackTs(): string {
  tsSeq += 1;
  return `${Math.floor(Date.now() / 1000)}.${String(100000 + tsSeq).padStart(6, '0')}`;
}

/** A `payload=` form for a `block_actions` press of `button` on the bot message `ts`. */
export function buttonPress(f: {
  team: string;
  channel: string;
  user: string;
  ts: string;
  actionId: string;
  value: string;
}): SignedRequest {
  const payload = {
    type: 'block_actions',
    user: { id: f.user, username: 'someone', name: 'someone', team_id: f.team },
    api_app_id: 'A0PILOTE',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: f.ts, channel_id: f.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`,
    team: { id: f.team, domain: 'pilote-test' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: f.channel, name: 'mairie' },
    message: { type: 'message', user: 'U0PILOTE', bot_id: 'B0PILOTE', ts: f.ts, text: '…' },
    response_url: 'https://hooks.slack.invalid/actions/1/2/3',
    actions: [
      { action_id: f.actionId, block_id: 'pilote-actions-0-0', text: { type: 'plain_text', text: '✅ Fait', emoji: true }, value: f.value, type: 'button', action_ts: String(Date.now() / 1000) },
    ],
    state: { values: {} },
  };
  return { body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), contentType: 'application/x-www-form-urlencoded' };
}
