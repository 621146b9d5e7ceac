/**
 * Digests in time: each minute the scheduler enqueues the digests whose local time has come
 * (job id `digest-<kind>-<id>-<local date>`, so two schedulers enqueue one job), within a
 * catch-up window; the worker sends each once per local day (`lastDigestOn` under a row lock)
 * and sends nothing when the digest is empty.
 */
import type { Job } from 'bullmq';
import { DateTime } from 'luxon';
import type { Outgoing, Services } from '../core/context.js';
import { memberRecipient, roomAddress, toMember } from '../core/recipients.js';
import { communeDigest, isEmptyDigest, memberDigest, type DigestContent } from '../domain/digest.js';
import { toLocale, translator, type Locale } from '../i18n/index.js';
import { renderDigest } from '../commands/digest.js';
import { writeOutbox } from './outbox.js';
import type { DigestJob, Queues } from './queues.js';
import type { Dispatch } from './delivery.js';
import { queryRaw, transaction } from '../db/sql.js';
import { Prisma } from '../generated/prisma/client.js';

/** A digest whose time passed less than this long ago is still sent (scheduler restarts). */
export const DIGEST_CATCH_UP_MINUTES = 30;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Whether a digest set at `hhmm` is due at `now` in `zone` and not yet handled today. */
export function digestDue(hhmm: string, zone: string, now: Date, lastOn: string | null): string | undefined {
  const local = DateTime.fromJSDate(now, { zone });
  const day = local.toISODate()!;
  if (lastOn === day) return undefined;
  const elapsed = local.hour * 60 + local.minute - minutesOf(hhmm);
  return elapsed >= 0 && elapsed < DIGEST_CATCH_UP_MINUTES ? day : undefined;
}

/** Enqueues the digests due at `now`; returns how many jobs were offered. */
export async function enqueueDueDigests(services: Services, queues: Queues, now: Date): Promise<number> {
  const { prisma } = services;
  const [members, communes] = await Promise.all([
    prisma.member.findMany({
      where: { digestTime: { not: null }, erasedAt: null },
      select: { id: true, digestTime: true, timezone: true, lastDigestOn: true, commune: { select: { timezone: true } } },
    }),
    prisma.commune.findMany({ where: { roomDigestTime: { not: null } }, select: { id: true, roomDigestTime: true, timezone: true, lastRoomDigestOn: true } }),
  ]);
  const jobs: { name: string; data: DigestJob; opts: { jobId: string } }[] = [];
  for (const m of members) {
    const day = digestDue(m.digestTime!, m.timezone ?? m.commune.timezone, now, m.lastDigestOn);
    if (day) jobs.push({ name: 'digest', data: { kind: 'member', id: m.id, day }, opts: { jobId: `digest-member-${m.id}-${day}` } });
  }
  for (const c of communes) {
    const day = digestDue(c.roomDigestTime!, c.timezone, now, c.lastRoomDigestOn);
    if (day) jobs.push({ name: 'digest', data: { kind: 'room', id: c.id, day }, opts: { jobId: `digest-room-${c.id}-${day}` } });
  }
  if (jobs.length) await queues.digests.addBulk(jobs);
  return jobs.length;
}

/** Builds the `digests` processor. */
export function digestProcessor(services: Services, dispatch: Dispatch) {
  const { prisma, config } = services;
  return async (job: Job<DigestJob>): Promise<string> => {
    const { kind, id, day } = job.data;
    const now = services.clock();
    const written = await transaction(prisma, async (db) => {
      const out: Outgoing[] = [];
      if (kind === 'member') {
        await queryRaw(db, Prisma.sql`SELECT 1 FROM "Member" WHERE "id" = ${id} FOR UPDATE`);
        const member = await db.member.findUnique({ where: { id }, include: { commune: true } });
        if (!member || member.lastDigestOn === day || member.erasedAt) return undefined;
        await db.member.update({ where: { id }, data: { lastDigestOn: day } });
        const zone = member.timezone ?? member.commune.timezone;
        const content = await memberDigest(db, member, zone, now);
        const r = await memberRecipient(db, id, { fallbackLocale: config.DEFAULT_LOCALE });
        if (r && !isEmptyDigest(content)) out.push(toMember(r, render(r.locale, content, zone, now, member.displayName)));
      } else {
        await queryRaw(db, Prisma.sql`SELECT 1 FROM "Commune" WHERE "id" = ${id} FOR UPDATE`);
        const commune = await db.commune.findUnique({ where: { id } });
        if (!commune || commune.lastRoomDigestOn === day) return undefined;
        await db.commune.update({ where: { id }, data: { lastRoomDigestOn: day } });
        const room = await db.roomBinding.findFirst({ where: { communeId: id, purpose: 'COUNCIL', unreachableAt: null }, orderBy: { createdAt: 'desc' } });
        const content = await communeDigest(db, id, commune.timezone, now);
        if (room && !isEmptyDigest(content)) {
          const locale = toLocale(commune.locale) ?? config.DEFAULT_LOCALE;
          out.push({ to: roomAddress(room), communeId: id, message: render(locale, content, commune.timezone, now, undefined, commune.name) });
        }
      }
      return writeOutbox(db, out);
    });
    if (!written) return 'already sent';
    await dispatch(written);
    return written.length ? 'sent' : 'empty';
  };
}

function render(locale: Locale, content: DigestContent, zone: string, now: Date, name?: string, commune?: string) {
  const date = DateTime.fromJSDate(now, { zone }).setLocale(locale).toFormat('cccc d LLLL');
  return renderDigest(translator(locale), content, { zone, locale, now, date, ...(name ? { name } : {}), ...(commune ? { commune } : {}) });
}
