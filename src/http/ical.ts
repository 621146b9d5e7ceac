/**
 * Members' private calendars over HTTP (SPEC section 4): `/ical/<token>.ics` is the feed a
 * calendar app subscribes to, `/ical/<token>/<n°>.ics` one meeting. An unknown token, or a
 * meeting the member does not attend, is a plain 404; each request costs a fixed, small number
 * of indexed queries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../core/context.js';
import type { HttpRoute } from '../core/types.js';
import { calendarFeed, memberMeetingIcs } from '../domain/meetings.js';

const FEED = /^\/ical\/([A-Za-z0-9_-]{1,64})\.ics$/;
const ONE = /^\/ical\/([A-Za-z0-9_-]{1,64})\/(\d{1,9})\.ics$/;

function send(res: ServerResponse, status: number, body: string, type: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** The iCal routes, served from the process's database client and clock. */
export function icalRoutes(services: Pick<Services, 'prisma' | 'clock'>): HttpRoute[] {
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const feed = FEED.exec(path);
    const one = feed ? null : ONE.exec(path);
    const ics = feed
      ? await calendarFeed(services.prisma, feed[1]!, services.clock())
      : one
        ? await memberMeetingIcs(services.prisma, one[1]!, Number(one[2]))
        : undefined;
    if (ics === undefined) return send(res, 404, 'not found\n', 'text/plain; charset=utf-8', { 'cache-control': 'no-store' });
    send(res, 200, ics, 'text/calendar; charset=utf-8', {
      'cache-control': 'private, max-age=300',
      'content-disposition': `inline; filename="${one ? `reunion-${one[2]}` : 'pilote'}.ics"`,
      // The URL is the secret: keep it out of referrers and search engines.
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex',
    });
  };
  return [{ method: 'GET', path: '/ical/*', handler }];
}
