/**
 * Slack request signing (v0): `X-Slack-Signature` is `v0=` + hex HMAC-SHA256 of
 * `v0:<X-Slack-Request-Timestamp>:<raw body>` keyed with the app's signing secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Farthest a request's timestamp may be from our clock, either way (Slack's replay window). */
export const MAX_SKEW_SECONDS = 5 * 60;

/** Why a request was refused; `ok` when it may be processed. */
export type SignatureCheck = 'ok' | 'missing' | 'bad-timestamp' | 'stale' | 'bad-signature';

/** Computes the `v0=…` signature of a body sent at `timestamp` (seconds, as a string). */
export function slackSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * Checks a request's signature and freshness. The comparison is constant-time; a timestamp
 * more than {@link MAX_SKEW_SECONDS} in the past or the future is refused.
 */
export function checkSlackSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: Buffer,
  nowMs: number,
): SignatureCheck {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return 'missing';
  if (!/^\d{1,12}$/.test(timestamp)) return 'bad-timestamp';
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) return 'stale';
  const expected = Buffer.from(slackSignature(secret, timestamp, rawBody), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  // timingSafeEqual needs equal lengths; a length mismatch reveals nothing about the secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-signature';
  return 'ok';
}
