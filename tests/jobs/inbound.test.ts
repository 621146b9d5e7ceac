import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline, rankEvents } from '../../src/core/pipeline.js';
import type { InboundEvent } from '../../src/core/types.js';
import { handleInbound, handleInboundBatch, isTransient, type InboundResult } from '../../src/jobs/inbound.js';
import { INBOUND_EVENTS_PER_JOB } from '../../src/jobs/queues.js';
import { createTask } from '../../src/domain/tasks.js';
import { CODE_ALPHABET } from '../../src/domain/members.js';
import { countStatements } from '../helpers/db.js';
import { consoleEvent, startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/wait.js';
import { executeRaw, queryRaw, transaction } from '../../src/db/sql.js';
import { Prisma } from '../../src/generated/prisma/client.js';

// Tuesday 1 December 2026, 10:00 in Paris.
const NOW = new Date('2026-12-01T09:00:00Z');

const says = (id: string, user: string, text: string): InboundEvent => consoleEvent(id, user, text, NOW);

/** Handles `events` as one batch of the inbound worker would, ranked as a job of an older version is (the pump's ranks: tests/jobs/ingress.test.ts). */
const handleAll = async (h: Harness, events: InboundEvent[]) => {
  const ranks = await rankEvents(h.app.services, events);
  return handleInboundBatch(h.app.services, h.app.metrics, pipeline(h.app.router), events.map((event, i) => ({ event, lastAttempt: true, rank: ranks[i]! })));
};

describe('inbound events handled together (group commit)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('inbound', { clock: () => NOW, now: NOW });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const batches = async (outcome: 'committed' | 'replayed') =>
    (await h.app.metrics.inboundBatches.get()).values.filter((v) => v.labels.outcome === outcome).reduce((sum, v) => sum + v.value, 0);
  const handle = (events: InboundEvent[]) => handleAll(h, events);
  const ok = (r: InboundResult | Error): InboundResult => {
    if (r instanceof Error) throw r;
    return r;
  };
  const replies = async (eventId: string) =>
    (await h.prisma.outboxMessage.findMany({ where: { sourceEventKey: eventId }, orderBy: { id: 'asc' } })).map((m) => (m.payload as { text: string }).text);

  it('commits several events in one transaction, each with its own replies and key', async () => {
    const before = await batches('committed');
    const events = [says('b1-1', 'maire', 'tache Groupe un'), says('b1-2', 'adjoint', 'tache Groupe deux'), says('b1-3', 'maire', 'tache Groupe trois')];
    const results = (await handle(events)).map(ok);
    expect(await batches('committed')).toBe(before + 1);
    expect(results.map((r) => [r.duplicate, r.replies.length])).toEqual([[false, 1], [false, 1], [false, 1]]);
    // Each event's reply row is its own, in the order of the events.
    for (const [i, e] of events.entries()) {
      const rows = await h.prisma.outboxMessage.findMany({ where: { id: { in: results[i]!.replies.map((r) => BigInt(r.id)) } } });
      expect(rows.map((r) => r.sourceEventKey)).toEqual([e.id]);
    }
    expect(await replies('b1-2')).toEqual([expect.stringContaining('Groupe deux')]);
    const tasks = await h.prisma.task.findMany({ where: { title: { startsWith: 'Groupe' } }, orderBy: { number: 'asc' } });
    expect(tasks.map((t) => t.title)).toEqual(['Groupe un', 'Groupe deux', 'Groupe trois']);
    expect(await h.prisma.handledEvent.count({ where: { key: { in: events.map((e) => e.id) } } })).toBe(3);
  });

  it('replays the batch when one is a user mistake: the others stand, the mistake is answered', async () => {
    const before = await batches('replayed');
    const results = (await handle([says('b2-1', 'maire', 'tache Rejeu un'), says('b2-2', 'maire', 'fait 999'), says('b2-3', 'adjoint', 'tache Rejeu deux')])).map(ok);
    expect(await batches('replayed')).toBe(before + 1);
    expect(results.map((r) => r.duplicate)).toEqual([false, false, false]);
    expect(await h.prisma.task.count({ where: { title: { startsWith: 'Rejeu' } } })).toBe(2);
    expect(await replies('b2-2')).toEqual([expect.stringContaining('999')]);
    expect(await replies('b2-1')).toEqual([expect.stringContaining('Rejeu un')]);
    expect(await h.prisma.handledEvent.count({ where: { key: { in: ['b2-1', 'b2-2', 'b2-3'] } } })).toBe(3);
  });

  it('handles a mistake alone and the events before and after it as two batches, in their order', async () => {
    const [replayed, committed] = [await batches('replayed'), await batches('committed')];
    const events = [
      says('s5-1', 'maire', 'tache Avant un'),
      says('s5-2', 'adjoint', 'tache Avant deux'),
      says('s5-3', 'maire', 'fait 998'),
      says('s5-4', 'adjoint', 'tache Après un'),
      says('s5-5', 'conseillere', 'tache Après deux'),
    ];
    const results = (await handle(events)).map(ok);
    // One failed attempt, then [1, 2] and [4, 5] each in one transaction, 3 alone.
    expect(await batches('replayed')).toBe(replayed + 1);
    expect(await batches('committed')).toBe(committed + 2);
    expect(results.map((r) => r.replies.length)).toEqual([1, 1, 1, 1, 1]);
    expect(await replies('s5-3')).toEqual([expect.stringContaining('998')]);
    const tasks = await h.prisma.task.findMany({ where: { title: { startsWith: 'Avant' } }, orderBy: { number: 'asc' } });
    expect(tasks.map((t) => t.title)).toEqual(['Avant un', 'Avant deux']);
    expect(await h.prisma.task.count({ where: { title: { startsWith: 'Après' } } })).toBe(2);
    // The replies were written in the events' order.
    const rows = await h.prisma.outboxMessage.findMany({ where: { sourceEventKey: { in: events.map((e) => e.id) } }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.sourceEventKey)).toEqual(events.map((e) => e.id));
  });

  it('replays each event alone when one was handled already: it is not handled twice', async () => {
    ok((await handle([says('b3-1', 'maire', 'tache Déjà vu')]))[0]!);
    const results = (await handle([says('b3-2', 'adjoint', 'tache Pas encore vu'), says('b3-1', 'maire', 'tache Déjà vu')])).map(ok);
    expect(results.map((r) => r.duplicate)).toEqual([false, true]);
    expect(await h.prisma.task.count({ where: { title: 'Déjà vu' } })).toBe(1);
    expect(await h.prisma.task.count({ where: { title: 'Pas encore vu' } })).toBe(1);
    expect(await replies('b3-1')).toHaveLength(1);
  });

  it('reads a sender again for their next event in a batch: a language changed by the first answers the second', async () => {
    const results = (await handle([says('b5-1', 'adjoint', 'langue en'), says('b5-2', 'adjoint', 'tache Language check')])).map(ok);
    expect(results.map((r) => r.duplicate)).toEqual([false, false]);
    expect(await replies('b5-2')).toEqual([expect.stringContaining('created: Language check')]);
    ok((await handle([says('b5-3', 'adjoint', 'langue fr')]))[0]!);
  });

  it('neither counts nor answers again an event handled already whose second run fails', async () => {
    ok((await handle([says('b6-0', 'maire', 'tache Dédoublonner')]))[0]!);
    const { number } = await h.prisma.task.findFirstOrThrow({ where: { title: 'Dédoublonner' } });
    const done = says('b6-1', 'maire', `fait ${number}`);
    ok((await handle([done]))[0]!);
    const userErrors = async () =>
      (await h.app.metrics.commands.get()).values.filter((v) => v.labels.outcome === 'user_error').reduce((sum, v) => sum + v.value, 0);
    const before = await userErrors();
    // Run again (a job retried after its commit), it finds the task done: a user error, but a duplicate.
    expect(await handleInbound(h.app.services, h.app.metrics, pipeline(h.app.router), { event: done, rank: 1 })).toEqual({ duplicate: true, replies: [] });
    expect(await userErrors()).toBe(before);
    expect(await replies('b6-1')).toHaveLength(1);
  });

  it('handles every event once when two batches take the same rows in opposite orders', async () => {
    ok((await handle([says('d-0', 'maire', 'tache Verrouiller le local')]))[0]!);
    const { number } = await h.prisma.task.findFirstOrThrow({ where: { title: 'Verrouiller le local' } });
    // A completes the task then creates one (task row, then commune counter); B the other way round.
    const a = [says('d-a1', 'maire', `fait ${number}`), says('d-a2', 'maire', 'tache Verrou A')];
    const b = [says('d-b1', 'adjoint', 'tache Verrou B'), says('d-b2', 'adjoint', `fait ${number}`)];
    const results = (await Promise.all([handle(a), handle(b)])).flat().map(ok);
    expect(results.map((r) => r.duplicate)).toEqual([false, false, false, false]);
    expect(await h.prisma.task.count({ where: { title: { in: ['Verrou A', 'Verrou B'] } } })).toBe(2);
    expect((await h.prisma.task.findFirstOrThrow({ where: { title: 'Verrouiller le local' } })).status).toBe('DONE');
    for (const e of [...a, ...b]) expect(await replies(e.id)).toHaveLength(1);
    expect(await h.prisma.auditEvent.count({ where: { action: 'task.complete', entityId: (await h.prisma.task.findFirstOrThrow({ where: { number } })).id } })).toBe(1);
  });

  it('takes a deadlock, as PostgreSQL reports it through Prisma, for a transient failure: the job retries', async () => {
    const { maire, adjoint } = h.demo.members;
    let release!: () => void;
    const bothLocked = new Promise<void>((resolve) => (release = resolve));
    let locked = 0;
    const crossed = (first: string, second: string) =>
      transaction(h.prisma, async (tx) => {
        await executeRaw(tx, Prisma.sql`UPDATE "Member" SET "displayName" = "displayName" WHERE "id" = ${first}`);
        if (++locked === 2) release();
        await bothLocked;
        await executeRaw(tx, Prisma.sql`UPDATE "Member" SET "displayName" = "displayName" WHERE "id" = ${second}`);
      });
    const outcomes = await Promise.allSettled([crossed(maire, adjoint), crossed(adjoint, maire)]);
    const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(failed).toHaveLength(1);
    expect(isTransient(failed[0])).toBe(true);
  });

  it('batches events the worker takes at the same time, and answers every one', async () => {
    const before = await batches('committed');
    const n = 3 * INBOUND_EVENTS_PER_JOB;
    const events = Array.from({ length: n }, (_, i) => says(`b4-${i}`, i % 2 ? 'maire' : 'adjoint', `tache Rafale ${i}`));
    await Promise.all(events.map((e) => h.app.submit(e)));
    for (const e of events) await h.app.settle(e.id);
    expect(await batches('committed')).toBeGreaterThan(before);
    expect(await h.prisma.task.count({ where: { title: { startsWith: 'Rafale ' } } })).toBe(n);
    const sent = await h.prisma.outboxMessage.findMany({ where: { sourceEventKey: { in: events.map((e) => e.id) } } });
    expect(sent.map((m) => m.status)).toEqual(Array(n).fill('SENT'));
    // Events that came together travel INBOUND_EVENTS_PER_JOB to a job.
    const jobs = (await h.app.queues.inbound.getCompleted()).filter((j) => j.data.events.some((e) => e.id.startsWith('b4-')));
    expect(jobs.map((j) => j.data.events.length)).toEqual(Array(3).fill(INBOUND_EVENTS_PER_JOB));
  });

  describe('with a second commune', () => {
    let other: { id: string };
    beforeAll(async () => {
      other = await h.prisma.commune.create({ data: { name: 'Lannion', insee: '22113', timezone: 'Europe/Paris', taskSeq: 70 } });
      await h.prisma.member.create({
        data: {
          communeId: other.id,
          role: 'MAYOR',
          displayName: 'Yann Le Bras',
          searchName: 'yann le bras',
          identities: { create: { platform: 'CONSOLE', userId: 'maire-lannion', directChatId: 'direct-maire-lannion' } },
        },
      });
    });

    it('runs two communes side by side: the tasks they create at the same moment are one statement, each numbered in its commune', async () => {
      const seq = async (id: string) => (await h.prisma.commune.findUniqueOrThrow({ where: { id } })).taskSeq;
      const [home, away] = [await seq(h.demo.communeId), await seq(other.id)];
      const events = [says('two-1', 'maire', 'tache Côté un'), says('two-2', 'maire-lannion', 'tache Côté Lannion'), says('two-3', 'adjoint', 'tache Côté deux')];
      const { result, count } = await countStatements('INSERT INTO "Task"', () => handle(events));
      const results = result.map(ok);
      expect(results.map((r) => r.replies.length)).toEqual([1, 1, 1]);
      // The first event of each commune together, the second of Saint-Pilote after its first.
      expect(count).toBe(2);
      const tasks = await h.prisma.task.findMany({ where: { title: { startsWith: 'Côté' } }, orderBy: { createdAt: 'asc' } });
      const numbers = Object.fromEntries(tasks.map((t) => [t.title, [t.communeId, t.number]]));
      expect(numbers).toEqual({
        'Côté un': [h.demo.communeId, home + 1],
        'Côté deux': [h.demo.communeId, home + 2],
        'Côté Lannion': [other.id, away + 1],
      });
      expect([await seq(h.demo.communeId), await seq(other.id)]).toEqual([home + 2, away + 1]);
      // Each audit row carries its own task's number.
      for (const t of tasks) {
        const audit = await h.prisma.auditEvent.findFirstOrThrow({ where: { entityId: t.id, action: 'task.create' } });
        expect([audit.communeId, (audit.after as { number: number; title: string }).number, (audit.after as { title: string }).title]).toEqual([t.communeId, t.number, t.title]);
      }
      expect(await replies('two-2')).toEqual([expect.stringContaining(`${away + 1}`)]);
    });

    it('takes the rows of its senders’ communes first, in one order: two batches that create tasks in them the other way round wait, never deadlock', async () => {
      const replayed = await batches('replayed');
      const [a, b] = [h.demo.communeId, other.id];
      const numbered = async (communeId: string, title: string) => {
        const mayor = await h.prisma.member.findFirstOrThrow({ where: { communeId, role: 'MAYOR' } });
        return (await transaction(h.prisma, (db) => createTask(db, { memberId: mayor.id, communeId, role: 'MAYOR', platform: 'CONSOLE' }, { title }))).number;
      };
      const [na, nb] = [await numbered(a, 'Ordre A'), await numbered(b, 'Ordre B')];
      // In X, Saint-Pilote creates at once and Lannion after a query of its own; in Y the other
      // way round. Without the locks taken first, X would hold Saint-Pilote's row and wait for
      // Lannion's while Y holds Lannion's and waits for Saint-Pilote's.
      const x = [says('ord-x1', 'maire', 'tache Ordre X un'), says('ord-x2', 'maire-lannion', `fait ${nb}`), says('ord-x3', 'maire-lannion', 'tache Ordre X deux')];
      const y = [says('ord-y1', 'maire-lannion', 'tache Ordre Y un'), says('ord-y2', 'adjoint', `fait ${na}`), says('ord-y3', 'adjoint', 'tache Ordre Y deux')];
      const results = (await Promise.all([handle(x), handle(y)])).flat().map(ok);
      expect(results.map((r) => r.replies.length)).toEqual([1, 1, 1, 1, 1, 1]);
      expect(await batches('replayed')).toBe(replayed);
      expect(await h.prisma.task.count({ where: { title: { startsWith: 'Ordre X' } } })).toBe(2);
      expect(await h.prisma.task.count({ where: { title: { startsWith: 'Ordre Y' } } })).toBe(2);
    });

    it('takes jobs beside one stuck on a lock, and their events share the next batch', async () => {
      const committed = await batches('committed');
      const inbound = h.app.queues.inbound;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const holding = new Promise<void>((resolve) => (locked = resolve));
      // Saint-Pilote's row, held by another transaction: the batch of its mayor's event waits for it.
      const lock = transaction(h.prisma,
        async (db) => {
          await queryRaw(db, Prisma.sql`SELECT 1 FROM "Commune" WHERE "id" = ${h.demo.communeId} FOR UPDATE`);
          locked();
          await gate;
        },
        { timeout: 20_000 },
      );
      try {
        await holding;
        const stuck = await inbound.add('events', { events: [says('beside-1', 'maire', 'tache Bloquée')] });
        await until('the first job taken', async () => (await stuck.getState()) === 'active');
        // Two more jobs of one event each, from Lannion, while the first is stuck.
        await Promise.all(['un', 'deux'].map((n, i) => inbound.add('events', { events: [says(`beside-${i + 2}`, 'maire-lannion', `tache À côté ${n}`)] })));
        await h.app.settle('beside-2', 5000);
        await h.app.settle('beside-3', 5000);
        expect(await h.prisma.task.count({ where: { communeId: other.id, title: { startsWith: 'À côté' } } })).toBe(2);
        // Both in one batch (a batch of one is not counted), while the first still waits.
        expect(await batches('committed')).toBe(committed + 1);
        expect(await stuck.getState()).toBe('active');
      } finally {
        release();
        await lock;
      }
      await h.app.settle('beside-1');
      expect(await replies('beside-1')).toEqual([expect.stringContaining('Bloquée')]);
    });

    it('links a newcomer before the communes’ events of the same batch run, as when events ran one after the other', async () => {
      const invited = ok((await handle([says('nl-0', 'maire', '/inviter conseillère Nadia Benali')]))[0]!);
      const code = new RegExp(`[${CODE_ALPHABET}]{4}-[${CODE_ALPHABET}]{4}`).exec((invited.replies[0]!.message as { text: string }).text)![0];
      const results = (await handle([says('nl-1', 'maire', 'tache Accueillir Nadia @Nadia'), says('nl-2', 'nadia', `/lier ${code}`)])).map(ok);
      // The task's author is answered and Nadia, now a member, told of her task; she is welcomed.
      expect(results.map((r) => r.replies.length)).toEqual([2, 1]);
      const nadia = await h.prisma.member.findFirstOrThrow({ where: { communeId: h.demo.communeId, displayName: 'Nadia Benali' } });
      expect((await h.prisma.task.findFirstOrThrow({ where: { title: 'Accueillir Nadia' } })).assigneeId).toBe(nadia.id);
    });

    it('knows which commune’s event made the mistake, though another’s started after it', async () => {
      const [replayed, committed] = [await batches('replayed'), await batches('committed')];
      // Saint-Pilote's mistake is found only once its query answers; Lannion's events have started by then.
      const events = [says('side-1', 'maire', 'fait 997'), says('side-2', 'maire-lannion', 'tache Lannion un'), says('side-3', 'maire-lannion', 'tache Lannion deux')];
      const results = (await handle(events)).map(ok);
      expect(results.map((r) => r.replies.length)).toEqual([1, 1, 1]);
      // One failed attempt, then the mistake alone and Lannion's two as one batch.
      expect(await batches('replayed')).toBe(replayed + 1);
      expect(await batches('committed')).toBe(committed + 1);
      expect(await replies('side-1')).toEqual([expect.stringContaining('997')]);
      expect(await h.prisma.task.count({ where: { communeId: other.id, title: { startsWith: 'Lannion' } } })).toBe(2);
    });
  });

  it('handles a job left by a version whose jobs held one event each (a roll loses nothing)', async () => {
    const legacy = says('legacy-1', 'maire', 'tache Ancien format');
    // The payload such a version added: the event itself, not { events }.
    await h.app.queues.inbound.add('event', legacy as never);
    await h.app.settle(legacy.id);
    expect(await h.prisma.task.count({ where: { title: 'Ancien format' } })).toBe(1);
    expect(await replies(legacy.id)).toHaveLength(1);
    const job = (await h.app.queues.inbound.getCompleted()).find((j) => (j.data as unknown as InboundEvent).id === legacy.id)!;
    expect(job.returnvalue).toBe('1 handled, 0 duplicate, 1 replies');
  });

  it('answers each event of a job on its own when one of them is a mistake, and completes the job', async () => {
    const events = [says('mix-1', 'maire', 'tache Lot un'), says('mix-2', 'adjoint', 'tache'), says('mix-3', 'conseillere', 'tache Lot trois'), says('mix-4', 'maire', 'n1mporte quoi')];
    await Promise.all(events.map((e) => h.app.submit(e)));
    for (const e of events) await h.app.settle(e.id);
    const job = (await h.app.queues.inbound.getCompleted()).find((j) => j.data.events.some((e) => e.id === 'mix-1'))!;
    expect(job.data.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(job.returnvalue).toBe('4 handled, 0 duplicate, 4 replies');
    expect(await h.prisma.task.count({ where: { title: { in: ['Lot un', 'Lot trois'] } } })).toBe(2);
    for (const e of events) expect(await replies(e.id)).toHaveLength(1);
    expect((await replies('mix-2'))[0]).not.toBe((await replies('mix-4'))[0]);
  });
});

describe('the per-member flood guard', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('flood', { clock: () => NOW, now: NOW, env: { RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const handle = (events: InboundEvent[]) => handleAll(h, events);
  const texts = async (eventId: string) =>
    (await h.prisma.outboxMessage.findMany({ where: { sourceEventKey: eventId } })).map((m) => (m.payload as { text: string }).text);

  it('counts an event replayed after its batch failed once, then answers the flood once and ignores the rest', async () => {
    // Redis without the script (restarted): the guard sends it whole and goes on.
    await h.app.services.redis.script('FLUSH');
    // The batch fails on the mistake and is replayed event by event: each is ranked once.
    await handle([says('f-1', 'maire', 'tache Inondation un'), says('f-2', 'maire', 'fait 999')]);
    await handle([says('f-3', 'maire', 'tache Inondation deux')]);
    expect(await h.prisma.task.count({ where: { title: { startsWith: 'Inondation' } } })).toBe(2);
    // The fourth event of the minute gets the polite answer, the fifth nothing.
    await handle([says('f-4', 'maire', 'tache Inondation trois')]);
    await handle([says('f-5', 'maire', 'tache Inondation quatre')]);
    expect(await texts('f-4')).toEqual(['Doucement 🙂 Vous envoyez beaucoup de messages ; je reprends dans une minute.']);
    expect(await texts('f-5')).toEqual([]);
    // The flood is not remembered past the answered event: the minute's hash stays small.
    const key = `${h.app.services.config.REDIS_PREFIX}:rl:console::maire:${Math.floor(NOW.getTime() / 60_000)}`;
    expect(await h.app.services.redis.hlen(key)).toBe(4);
    expect(await h.prisma.task.count({ where: { title: { startsWith: 'Inondation' } } })).toBe(2);
    // Each member has their own count.
    await handle([says('f-6', 'adjoint', 'tache Inondation cinq')]);
    expect(await texts('f-6')).toEqual([expect.stringContaining('Inondation cinq')]);
  });

  it('ranks a flood that comes in one batch in its order, each sender on their own', async () => {
    const events = [1, 2, 3, 4, 5].map((i) => says(`g-${i}`, 'conseillere', `tache Grêle ${i}`));
    events.splice(2, 0, says('g-other', 'adjoint', 'tache Grêle autre'));
    const results = await handle(events);
    expect(results.every((r) => !(r instanceof Error))).toBe(true);
    const titles = (await h.prisma.task.findMany({ where: { title: { startsWith: 'Grêle' } }, orderBy: { title: 'asc' } })).map((t) => t.title);
    expect(titles).toEqual(['Grêle 1', 'Grêle 2', 'Grêle 3', 'Grêle autre']);
    expect(await texts('g-4')).toEqual(['Doucement 🙂 Vous envoyez beaucoup de messages ; je reprends dans une minute.']);
    expect(await texts('g-5')).toEqual([]);
  });

  it('counts the events that come through the ingress (ranked by the pump) and those of a job without ranks alike', async () => {
    // The fourth one's text holds a lone surrogate (a broken emoji), which the pump's script
    // cannot read: the worker ranks it.
    const events = [1, 2, 3, 4].map((i) => says(`q-${i}`, 'agent', `tache Verglas ${i}${i === 4 ? ' \ud83d' : ''}`));
    for (const e of events) {
      await h.app.submit(e);
      await h.app.settle(e.id);
    }
    const jobs = await h.app.queues.inbound.getCompleted();
    const ranked = jobs.flatMap((j) => j.data.events.map((e, i) => [e.id, j.data.ranks?.[i]] as const)).filter(([id]) => id.startsWith('q-'));
    expect(ranked.sort()).toEqual([['q-1', 1], ['q-2', 2], ['q-3', 3], ['q-4', 0]]);
    for (const e of events.slice(0, 3)) expect(await texts(e.id)).toHaveLength(1);
    expect(await texts('q-4')).toEqual(['Doucement 🙂 Vous envoyez beaucoup de messages ; je reprends dans une minute.']);
    // A job an older version added, without ranks: the worker counts its event in the same
    // minute, past the limit; another sender's is answered.
    const [late, other] = [says('q-5', 'agent', 'tache Verglas 5'), says('q-6', 'citoyen', 'tache Verglas 6')];
    await h.app.queues.inbound.add('events', { events: [late, other] });
    await h.app.settle(other.id);
    expect(await texts('q-5')).toEqual([]);
    expect(await texts('q-6')).toHaveLength(1);
    // A job's ranks are what counts: a sender's first event that comes ranked past the limit is ignored.
    const preRanked = says('q-7', 'inconnu', 'tache Verglas 7');
    await h.app.queues.inbound.add('events', { events: [preRanked], ranks: [5] });
    await h.app.settle(preRanked.id);
    expect(await texts('q-7')).toEqual([]);
    expect(await h.app.services.redis.exists(`${h.app.services.config.REDIS_PREFIX}:rl:console::inconnu:${Math.floor(NOW.getTime() / 60_000)}`)).toBe(0);
  });
});
