import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError, UserError } from '../../src/core/errors.js';
import type { PrismaClient, Tx } from '../../src/db/client.js';
import { DEMO_USERS, seedDemo, type DemoCommune, type DemoUser } from '../../src/db/seed.js';
import {
  CODE_ALPHABET,
  createInvitation,
  ERASED_NAME,
  exportMyData,
  forgetMe,
  hashCode,
  normaliseCode,
  redeemInvitation,
  setLocale,
  type Redemption,
} from '../../src/domain/members.js';
import type { Actor } from '../../src/domain/permissions.js';
import type { Role } from '../../src/generated/prisma/enums.js';
import { testDatabase, type TestDatabase } from '../helpers/db.js';
import { queryRaw, transaction } from '../../src/db/sql.js';
import { Prisma } from '../../src/generated/prisma/client.js';

const NOW = new Date('2026-03-02T08:00:00Z');
const DAY = 24 * 3600 * 1000;
const ROLES: Role[] = ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT', 'CITIZEN'];
const CODE_SHAPE = new RegExp(`^[${CODE_ALPHABET}]{4}-[${CODE_ALPHABET}]{4}$`);

describe('members domain', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let demo: DemoCommune;
  /** A neighbouring commune with one linked citizen (console account `voisin`). */
  let other: { communeId: string; citizenId: string };
  beforeAll(async () => {
    db = await testDatabase('domain-members');
    prisma = db.prisma;
    demo = await seedDemo(prisma, { now: NOW });
    const commune = await prisma.commune.create({ data: { name: 'Voisin-sur-Loire', insee: '99002' } });
    const citizen = await prisma.member.create({
      data: {
        communeId: commune.id,
        role: 'CITIZEN',
        displayName: 'Rémi Voisin',
        searchName: 'remi voisin',
        identities: { create: { platform: 'CONSOLE', userId: 'voisin' } },
      },
    });
    other = { communeId: commune.id, citizenId: citizen.id };
  });
  afterAll(async () => {
    await db?.drop();
  });

  const actor = (user: DemoUser, commune = demo): Actor => ({
    memberId: commune.members[user],
    communeId: commune.communeId,
    role: DEMO_USERS[user].role,
    platform: 'CONSOLE',
  });
  const tx = <T>(fn: (db: Tx) => Promise<T>) => transaction(prisma, fn);
  const invite = (by: Actor | null, role: Role, extra: { name?: string; now?: Date; communeId?: string } = {}) =>
    tx((d) => createInvitation(d, by, { communeId: extra.communeId ?? demo.communeId, role, now: extra.now ?? NOW, ...(extra.name ? { name: extra.name } : {}) }));
  const redeem = (code: string, userId: string, extra: Partial<Redemption> = {}) =>
    tx((d) => redeemInvitation(d, { code, platform: 'TELEGRAM', workspace: '', userId, now: NOW, ...extra }));
  const codeOf = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    return (err as UserError).code;
  };

  describe('createInvitation', () => {
    it('returns a readable code once and stores only its SHA-256, with a 7-day expiry and an audit row', async () => {
      const inv = await invite(actor('maire'), 'COUNCILLOR', { name: '  Anne   Roux ' });
      expect(inv.code).toMatch(CODE_SHAPE);
      expect(inv.expiresAt.getTime()).toBe(NOW.getTime() + 7 * DAY);
      const row = await prisma.invitation.findUniqueOrThrow({ where: { id: inv.id } });
      const normal = inv.code.replace('-', '');
      expect(row.codeHash).toBe(createHash('sha256').update(normal).digest('hex'));
      expect(row.name).toBe('Anne Roux');
      expect(row.role).toBe('COUNCILLOR');
      expect(row.createdById).toBe(demo.members.maire);
      expect(row.usedAt).toBeNull();
      const audit = await prisma.auditEvent.findFirstOrThrow({ where: { entityType: 'invitation', entityId: inv.id } });
      expect(audit.action).toBe('invitation.create');
      expect(audit.actorId).toBe(demo.members.maire);
      expect(audit.communeId).toBe(demo.communeId);
      // The code appears nowhere in the database, neither shown nor normalised.
      const everything = JSON.stringify([row, audit], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      expect(everything).not.toContain(inv.code);
      expect(everything).not.toContain(normal);
    });

    it('draws codes from the unambiguous alphabet only', async () => {
      const codes = await Promise.all(Array.from({ length: 20 }, () => invite(null, 'CITIZEN')));
      const chars = new Set(codes.flatMap((c) => [...c.code.replace('-', '')]));
      for (const c of '01OIL') expect(chars.has(c)).toBe(false);
      expect(new Set(codes.map((c) => c.code)).size).toBe(20);
    });

    it('follows the permission matrix: every role × every target role', async () => {
      const expected: Record<Role, Role[]> = {
        MAYOR: ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT', 'CITIZEN'],
        DEPUTY: ['COUNCILLOR', 'AGENT', 'CITIZEN'],
        COUNCILLOR: [],
        AGENT: [],
        CITIZEN: [],
      };
      const users = Object.keys(DEMO_USERS) as DemoUser[];
      for (const user of users) {
        const by = actor(user);
        for (const target of ROLES) {
          const result = await invite(by, target).then(
            () => 'ok',
            (e: unknown) => (e instanceof ForbiddenError ? 'forbidden' : e),
          );
          expect({ by: by.role, target, result }).toEqual({ by: by.role, target, result: expected[by.role].includes(target) ? 'ok' : 'forbidden' });
        }
      }
      // The CLI (no actor) may make any role.
      for (const target of ROLES) expect((await invite(null, target)).role).toBe(target);
    });

    it('refuses a mayor inviting into another commune', async () => {
      await expect(invite(actor('maire'), 'CITIZEN', { communeId: other.communeId })).rejects.toBeInstanceOf(ForbiddenError);
    });
  });

  describe('redeemInvitation', () => {
    it('creates the member and identity from the invitation, marks it used and audits the link', async () => {
      const inv = await invite(actor('adjoint'), 'AGENT', { name: 'Luc Garnier' });
      const typed = ` ${inv.code.toLowerCase().replace('-', ' ')} `;
      const linked = await redeem(typed, 'tg-1001', { username: 'lucg', displayName: 'Luc G.', directChatId: '1001', locale: 'en-GB' });
      expect(linked.role).toBe('AGENT');
      expect(linked.displayName).toBe('Luc Garnier');
      expect(linked.locale).toBe('en');
      expect(linked.commune.id).toBe(demo.communeId);
      const member = await prisma.member.findUniqueOrThrow({ where: { id: linked.id }, include: { identities: true } });
      expect(member.searchName).toBe('luc garnier');
      expect(member.communeId).toBe(demo.communeId);
      expect(member.identities).toHaveLength(1);
      expect(member.identities[0]).toMatchObject({ platform: 'TELEGRAM', workspace: '', userId: 'tg-1001', username: 'lucg', directChatId: '1001' });
      const row = await prisma.invitation.findUniqueOrThrow({ where: { id: inv.id } });
      expect(row.usedAt).toEqual(NOW);
      expect(row.usedById).toBe(linked.id);
      const audit = await prisma.auditEvent.findFirstOrThrow({ where: { action: 'member.link', entityId: linked.id } });
      expect(audit.actorId).toBe(linked.id);
      expect(audit.platform).toBe('TELEGRAM');
      expect(JSON.stringify(audit.after)).not.toContain('Luc');
    });

    it('names the member from the platform when the invitation has no name, and speaks the commune language by default', async () => {
      const a = await invite(null, 'CITIZEN');
      const byDisplay = await redeem(a.code, 'tg-1002', { displayName: 'Élodie Fabre', username: 'elo' });
      expect(byDisplay.displayName).toBe('Élodie Fabre');
      expect(byDisplay.locale).toBe('fr');
      expect((await prisma.member.findUniqueOrThrow({ where: { id: byDisplay.id } })).searchName).toBe('elodie fabre');
      const b = await invite(null, 'CITIZEN');
      expect((await redeem(b.code, 'tg-1003', { username: 'jdoe' })).displayName).toBe('jdoe');
    });

    it('tells wrong, used and expired codes apart', async () => {
      expect(await codeOf(redeem('hello', 'tg-2001'))).toBe('E_CODE_INVALID');
      expect(await codeOf(redeem('ZZZZ-ZZZZ', 'tg-2001'))).toBe('E_CODE_INVALID');
      expect(await codeOf(redeem('K7P4-QXM0', 'tg-2001'))).toBe('E_CODE_INVALID'); // 0 is not in the alphabet

      const used = await invite(null, 'CITIZEN');
      await redeem(used.code, 'tg-2002');
      expect(await codeOf(redeem(used.code, 'tg-2003'))).toBe('E_CODE_USED');

      const old = await invite(null, 'CITIZEN', { now: new Date(NOW.getTime() - 7 * DAY) });
      expect(await codeOf(redeem(old.code, 'tg-2004'))).toBe('E_CODE_EXPIRED');
      const row = await prisma.invitation.findFirstOrThrow({ where: { codeHash: hashCode(old.code) } });
      expect(row.usedAt).toBeNull();
      expect(await prisma.chatIdentity.count({ where: { userId: { in: ['tg-2001', 'tg-2003', 'tg-2004'] } } })).toBe(0);
    });

    it('expires exactly 7 days after creation (injected clock)', async () => {
      const inv = await invite(null, 'AGENT', { now: NOW });
      const justBefore = new Date(NOW.getTime() + 7 * DAY - 1000);
      const justAfter = new Date(NOW.getTime() + 7 * DAY);
      expect(await codeOf(redeem(inv.code, 'tg-3001', { now: justAfter }))).toBe('E_CODE_EXPIRED');
      const linked = await redeem(inv.code, 'tg-3001', { now: justBefore });
      expect(linked.role).toBe('AGENT');
    });

    it('lets exactly one of two concurrent redemptions of one code win', async () => {
      const inv = await invite(null, 'COUNCILLOR');
      // Both transactions are open before either redeems; the winner holds its lock a while.
      let arrived = 0;
      let release!: () => void;
      const bothIn = new Promise<void>((r) => (release = r));
      const attempt = (userId: string) =>
        transaction(prisma,
          async (d) => {
            await queryRaw(d, Prisma.sql`SELECT 1`);
            if (++arrived === 2) release();
            await bothIn;
            const linked = await redeemInvitation(d, { code: inv.code, platform: 'SLACK', workspace: 'T1', userId, now: NOW });
            await new Promise((r) => setTimeout(r, 150));
            return linked;
          },
          { timeout: 10_000 },
        );
      const results = await Promise.allSettled([attempt('U-A'), attempt('U-B')]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0]!.reason as UserError).code).toBe('E_CODE_USED');
      const identities = await prisma.chatIdentity.findMany({ where: { platform: 'SLACK', workspace: 'T1' } });
      expect(identities).toHaveLength(1);
      const row = await prisma.invitation.findUniqueOrThrow({ where: { id: inv.id } });
      expect(row.usedById).toBe(identities[0]!.memberId);
      expect(await prisma.auditEvent.count({ where: { action: 'member.link', actorId: identities[0]!.memberId } })).toBe(1);
    });

    it('refuses an account already linked, in this commune or another, without using the code', async () => {
      const inv = await invite(null, 'CITIZEN');
      const here = await codeOf(tx((d) => redeemInvitation(d, { code: inv.code, platform: 'CONSOLE', workspace: '', userId: 'maire', now: NOW })));
      expect(here).toBe('E_ALREADY_LINKED');
      const elsewhere = await codeOf(tx((d) => redeemInvitation(d, { code: inv.code, platform: 'CONSOLE', workspace: '', userId: 'voisin', now: NOW })));
      expect(elsewhere).toBe('E_LINKED_ELSEWHERE');
      expect((await prisma.invitation.findUniqueOrThrow({ where: { id: inv.id } })).usedAt).toBeNull();
    });

    it('normalises codes: case, spaces and dashes do not matter', () => {
      expect(normaliseCode(' k7p4-qxm2 ')).toBe('K7P4QXM2');
      expect(normaliseCode('K7P4 QXM2')).toBe('K7P4QXM2');
      expect(hashCode('k7p4 qxm2')).toBe(hashCode('K7P4-QXM2'));
    });
  });

  describe('setLocale and exportMyData', () => {
    it('changes the language with an audit row', async () => {
      await tx((d) => setLocale(d, actor('conseillere'), 'en'));
      expect((await prisma.member.findUniqueOrThrow({ where: { id: demo.members.conseillere } })).locale).toBe('en');
      const audit = await prisma.auditEvent.findFirstOrThrow({ where: { action: 'member.locale', actorId: demo.members.conseillere } });
      expect(audit.before).toEqual({ locale: 'fr' });
      expect(audit.after).toEqual({ locale: 'en' });
      await tx((d) => setLocale(d, actor('conseillere'), 'fr'));
    });

    it('exports everything about the member as JSON-able data, without the calendar secret', async () => {
      await prisma.member.update({ where: { id: demo.members.maire }, data: { calendarToken: 'secret-token-123', digestTime: '07:30' } });
      const data = await tx((d) => exportMyData(d, actor('maire')));
      const json = JSON.stringify(data);
      expect(json).not.toContain('secret-token-123');
      expect(data.member).toMatchObject({ displayName: 'Claire Martin', role: 'MAYOR', digestTime: '07:30', calendarFeed: true });
      expect(data.identities).toEqual([expect.objectContaining({ platform: 'CONSOLE', userId: 'maire' })]);
      expect(data.tasksCreated.map((t) => t.number)).toEqual([1, 2, 3, 4]);
      expect(data.tasksAssigned.map((t) => t.number)).toEqual([3]);
      expect(data.audit.length).toBeGreaterThan(0);
      expect(data.audit.every((a) => typeof a.id === 'string')).toBe(true);
      // Someone else's data is not in it.
      expect(json).not.toContain('Paul Lefèvre');
    });
  });

  describe('forgetMe', () => {
    it('erases the person, keeps the commune’s trace, cancels their reminders', async () => {
      const me = actor('agent');
      const id = demo.members.agent;
      await prisma.member.update({ where: { id }, data: { calendarToken: 'agent-cal', digestTime: '08:00', timezone: 'Europe/Paris' } });
      await prisma.reminder.create({
        data: { communeId: demo.communeId, number: 900, createdById: id, targetMemberId: id, text: 'appeler le SDIS', firstAt: NOW, nextAt: NOW, timezone: 'Europe/Paris' },
      });
      const forRoom = await prisma.reminder.create({
        data: { communeId: demo.communeId, number: 901, createdById: demo.members.maire, targetMemberId: demo.members.maire, text: 'point hebdo', firstAt: NOW, nextAt: NOW, timezone: 'Europe/Paris' },
      });
      const tasksBefore = await prisma.task.count({ where: { assigneeId: id } });
      const auditsBefore = await prisma.auditEvent.count({ where: { actorId: id } });

      const result = await tx((d) => forgetMe(d, me, NOW));
      expect(result.identitiesRemoved).toBe(1);
      expect(result.remindersCancelled).toBe(1);

      const member = await prisma.member.findUniqueOrThrow({ where: { id } });
      expect(member).toMatchObject({ displayName: ERASED_NAME, searchName: 'membre efface', calendarToken: null, digestTime: null, timezone: null, erasedAt: NOW });
      expect(await prisma.chatIdentity.count({ where: { memberId: id } })).toBe(0);
      expect(await prisma.task.count({ where: { assigneeId: id } })).toBe(tasksBefore);
      expect(tasksBefore).toBeGreaterThan(0);
      expect((await prisma.reminder.findFirstOrThrow({ where: { number: 900, communeId: demo.communeId } })).status).toBe('CANCELLED');
      expect((await prisma.reminder.findUniqueOrThrow({ where: { id: forRoom.id } })).status).toBe('ACTIVE');
      const audit = await prisma.auditEvent.findFirstOrThrow({ where: { action: 'member.forget', entityId: id } });
      expect(audit.actorId).toBe(id);
      expect(JSON.stringify([audit.before, audit.after])).not.toContain('Sophie');
      expect(await prisma.auditEvent.count({ where: { actorId: id } })).toBe(auditsBefore + 1);
      // Nothing left with the name.
      expect(await prisma.member.count({ where: { displayName: { contains: 'Sophie' } } })).toBe(0);
    });

    it('clears the name the member was invited under', async () => {
      const inv = await invite(actor('maire'), 'CITIZEN', { name: 'Hugo Blanc' });
      const linked = await redeem(inv.code, 'tg-4001');
      await tx((d) => forgetMe(d, { memberId: linked.id, communeId: demo.communeId, role: 'CITIZEN', platform: 'TELEGRAM' }, NOW));
      expect((await prisma.invitation.findUniqueOrThrow({ where: { id: inv.id } })).name).toBeNull();
    });

    it('refuses the last mayor, and lets them go once there is another', async () => {
      expect(await codeOf(tx((d) => forgetMe(d, actor('maire'), NOW)))).toBe('E_LAST_MAYOR');
      expect((await prisma.member.findUniqueOrThrow({ where: { id: demo.members.maire } })).erasedAt).toBeNull();
      const inv = await invite(actor('maire'), 'MAYOR', { name: 'Nadia Roche' });
      await redeem(inv.code, 'tg-5001');
      await tx((d) => forgetMe(d, actor('maire'), NOW));
      expect((await prisma.member.findUniqueOrThrow({ where: { id: demo.members.maire } })).displayName).toBe(ERASED_NAME);
    });
  });
});
