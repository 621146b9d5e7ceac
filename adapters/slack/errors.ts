/**
 * Slack Web API failures → the core's {@link DeliveryError}s. The WebClient runs without its own
 * retries, so Pilote's delivery worker owns them (and honours `Retry-After`).
 */
import { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { DeliveryError } from '../../src/core/errors.js';

/** Errors that mean this conversation cannot be written to. */
const UNREACHABLE: Readonly<Record<string, string>> = {
  channel_not_found: 'the channel does not exist or the bot cannot see it',
  not_in_channel: 'the bot is not a member of the channel: invite it with /invite @Pilote',
  is_archived: 'the channel is archived',
  user_not_found: 'the user does not exist',
  user_disabled: 'the user was deactivated',
  cannot_dm_bot: 'the user is a bot',
  messages_tab_disabled: 'the app\'s Messages tab is disabled (App Home settings)',
};

/** Errors that mean Pilote's own credentials or setup are wrong. */
const SETUP: Readonly<Record<string, string>> = {
  invalid_auth: 'SLACK_BOT_TOKEN is not valid',
  not_authed: 'no token was sent',
  account_inactive: 'the bot token belongs to a deleted user or workspace',
  token_revoked: 'the bot token was revoked (app uninstalled?)',
  token_expired: 'the bot token expired',
  missing_scope: 'the app lacks a scope: reinstall it from slack-manifest.yml',
  not_allowed_token_type: 'SLACK_BOT_TOKEN must be a bot token (xoxb-…)',
  team_access_not_granted: 'the app is not installed in this workspace',
};

/** Errors worth another try later. */
const TRANSIENT = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_is_restricted']);

/** Where a failed call was going, for the log line. */
export interface CallSite {
  method: string;
  channel: string;
}

/** The Slack error code of a failed Web API call, if it is a platform error. */
export function slackErrorCode(err: unknown): string | undefined {
  const e = err as { code?: string; data?: { error?: string } };
  return e?.code === webApi.ErrorCode.PlatformError ? e.data?.error : undefined;
}

/**
 * Maps a failed Web API call to a {@link DeliveryError}, logging one clear line for failures that
 * need a person (a channel the bot cannot reach, a bad token).
 */
export function toDeliveryError(err: unknown, site: CallSite, logger: Logger): DeliveryError {
  const e = err as {
    code?: string;
    retryAfter?: number;
    statusCode?: number;
    original?: Error;
    message?: string;
    data?: { error?: string; response_metadata?: { retryAfter?: number } };
  };
  const where = `${site.method} to ${site.channel}`;
  switch (e?.code) {
    case webApi.ErrorCode.RateLimitedError:
      return new DeliveryError('retry', `slack rate limit on ${where}`, { retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000, cause: err });
    case webApi.ErrorCode.RequestError:
      return new DeliveryError('retry', `slack unreachable on ${where}: ${e.original?.message ?? e.message}`, { cause: err });
    case webApi.ErrorCode.HTTPError:
      return new DeliveryError((e.statusCode ?? 500) >= 500 ? 'retry' : 'permanent', `slack HTTP ${e.statusCode} on ${where}`, { cause: err });
    case webApi.ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown_error';
      if (TRANSIENT.has(code)) {
        const after = e.data?.response_metadata?.retryAfter;
        return new DeliveryError('retry', `slack ${code} on ${where}`, { ...(after ? { retryAfterMs: after * 1000 } : {}), cause: err });
      }
      const unreachable = UNREACHABLE[code];
      if (unreachable) {
        logger.warn({ slackError: code, method: site.method, channel: site.channel }, `slack: cannot write to ${site.channel} (${code}): ${unreachable}`);
        return new DeliveryError('unreachable', `slack ${code} on ${where}`, { cause: err });
      }
      const setup = SETUP[code];
      logger.error(
        { slackError: code, method: site.method, channel: site.channel },
        setup ? `slack: ${code} on ${where}: ${setup}` : `slack: ${code} on ${where}: message refused`,
      );
      return new DeliveryError('permanent', `slack ${code} on ${where}`, { cause: err });
    }
    default:
      // Anything else (a bug, an aborted fetch): let the worker retry with backoff.
      return new DeliveryError('retry', `slack call failed on ${where}: ${e?.message ?? String(err)}`, { cause: err });
  }
}
