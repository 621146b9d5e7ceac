import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outgoing } from '../../src/core/context.js';
import type { Tx } from '../../src/db/client.js';
import { createDelivery } from '../../src/jobs/delivery.js';
import { enqueueOutbox, outboxJobId, requeuePending, writeOutbox } from '../../src/jobs/outbox.js';
import { consoleEvent, startHarness, type Harness } from '../helpers/harness.js';
import { ScriptedAdapter } from '../helpers/scripted-adapter.js';
import { until } from '../helpers/wait.js';
import { transaction } from '../../src/db/sql.js';


/** Writes outbox rows; their ids. */
const writeIds = (db: Tx, outgoing: Outgoing[]) => writeOutbox(db, outgoing).then((rows) => rows.map((r) => r.id));

describe('delivery worker', () => {
  let h: Harness;
  const platform = new ScriptedAdapter();
  let paulIdentity: string;
  beforeAll(async () => {
    h = await startHarness('delivery', { adapters: () => [platform] });
    const identity = await h.prisma.chatIdentity.create({
      data: { memberId: h.demo.members.adjoint, platform: 'TELEGRAM', userId: '42', directChatId: '42' },
    });
    paulIdentity = identity.id;
  });
  afterAll(async () => {
    await h?.stop();
  });

  const post = async (text: string, extra: Partial<Outgoing> = {}) => {
    const ids = await transaction(h.prisma, (db) =>
      writeIds(db, [{ to: { platform: 'telegram', workspace: '', chatId: '42' }, message: { text }, identityId: paulIdentity, ...extra }]),
    );
    await enqueueOutbox(h.app.queues, ids);
    return BigInt(ids[0]!);
  };
  const row = (id: bigint) => h.prisma.outboxMessage.findUniqueOrThrow({ where: { id } });

  it('delivers, records the platform message id and the buttons it carried', async () => {
    const ids = await transaction(h.prisma, (db) =>
      writeIds(db, [
        {
          to: { platform: 'telegram', workspace: '', chatId: '42' },
          message: { text: 'avec boutons', buttons: [[{ label: 'A', action: 'task.done:x', emoji: '✅' }, { label: 'B', action: 'task.snooze:x' }]] },
        },
      ]),
    );
    await enqueueOutbox(h.app.queues, ids);
    const sent = await until('sent', async () => ((await row(BigInt(ids[0]!))).status === 'SENT' ? row(BigInt(ids[0]!)) : undefined));
    expect(sent.platformMessageId).toMatch(/^m\d+$/);
    const recorded = await h.prisma.sentMessage.findFirstOrThrow({ where: { messageId: sent.platformMessageId! } });
    expect(recorded.actions).toEqual([
      { action: 'task.done:x', key: '✅' },
      { action: 'task.snooze:x', key: '2️⃣' },
    ]);
  });

  it('waits exactly the retry-after the platform asked for, then delivers once', async () => {
    platform.fail({ retryAfterMs: 1500 });
    const before = platform.sent.length;
    const id = await post('après 429');
    const sent = await until('delivered after retry-after', async () => ((await row(id)).status === 'SENT' ? row(id) : undefined));
    const tries = platform.attempts.slice(-2);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(1400);
    expect(platform.sent.length).toBe(before + 1);
    expect(platform.sent.at(-1)!.message.text).toBe('après 429');
    expect(sent.attempts).toBeGreaterThanOrEqual(2);
  });

  it('retries a network failure with backoff', async () => {
    platform.fail('network', 'network');
    const id = await post('après coupure');
    const sent = await until('delivered after backoff', async () => ((await row(id)).status === 'SENT' ? row(id) : undefined));
    expect(sent.attempts).toBe(3);
    expect(platform.sent.filter((s) => s.message.text === 'après coupure')).toHaveLength(1);
  });

  it('ends a blocked recipient for good and marks the identity unreachable', async () => {
    platform.fail('unreachable');
    const id = await post('bloqué');
    const failed = await until('failed', async () => ((await row(id)).status === 'FAILED' ? row(id) : undefined));
    expect(failed.lastError).toContain('blocked');
    const identity = await h.prisma.chatIdentity.findUniqueOrThrow({ where: { id: paulIdentity } });
    expect(identity.unreachableAt).not.toBeNull();
    expect(platform.sent.some((s) => s.message.text === 'bloqué')).toBe(false);
    await h.prisma.chatIdentity.update({ where: { id: paulIdentity }, data: { unreachableAt: null } });
  });

  it('ends a permanently refused message without retrying it', async () => {
    platform.fail('permanent');
    const attemptsBefore = platform.attempts.length;
    const id = await post('refusé');
    await until('failed', async () => (await row(id)).status === 'FAILED');
    await new Promise((r) => setTimeout(r, 300));
    expect(platform.attempts.length).toBe(attemptsBefore + 1);
  });

  it('paces messages to one chat, whatever the worker concurrency', async () => {
    platform.pace = 400;
    // The chat's first slot is no earlier than now; each next one 400 ms after the previous.
    const start = Date.now();
    const ids = await Promise.all(['un', 'deux', 'trois'].map((text) => post(`rythme ${text}`)));
    await until('all sent', async () => (await Promise.all(ids.map(row))).every((r) => r.status === 'SENT'));
    const times = platform.sent.filter((s) => s.message.text.startsWith('rythme')).map((s) => s.at).sort((a, b) => a - b);
    expect(times).toHaveLength(3);
    // No message before its slot (5 ms of leeway); a busy machine may send any of them late,
    // so gaps between sends are not what is checked.
    expect(times[1]! - start).toBeGreaterThanOrEqual(395);
    expect(times[2]! - start).toBeGreaterThanOrEqual(795);
    platform.pace = 0;
  });

  it('sends to the member’s other account when one became unreachable', async () => {
    platform.fail('unreachable');
    const id = await post('par un autre chemin', { memberId: h.demo.members.adjoint });
    await until('failed on telegram', async () => (await row(id)).status === 'FAILED');
    await until('sent on the console', async () => h.transcript().includes('par un autre chemin'));
    // The row is marked right after the platform accepted it: wait for that too.
    const moved = await until('console row sent', () =>
      h.prisma.outboxMessage.findFirst({ where: { platform: 'CONSOLE', memberId: h.demo.members.adjoint, status: 'SENT' }, orderBy: { id: 'desc' } }),
    );
    expect((moved.payload as { text: string }).text).toBe('par un autre chemin');
    await h.prisma.chatIdentity.update({ where: { id: paulIdentity }, data: { unreachableAt: null } });
  });

  it('sends a pending row whose job was lost (Redis flushed) when the sweep runs, once', async () => {
    const [id] = await transaction(h.prisma, (db) =>
      writeIds(db, [{ to: { platform: 'telegram', workspace: '', chatId: '42' }, message: { text: 'orphelin' } }]),
    );
    await h.prisma.outboxMessage.update({ where: { id: BigInt(id!) }, data: { createdAt: new Date(Date.now() - 180_000) } });
    expect(await requeuePending(h.prisma, h.app.queues, new Date())).toBe(1);
    await until('orphan sent', async () => (await row(BigInt(id!))).status === 'SENT');
    expect(await requeuePending(h.prisma, h.app.queues, new Date())).toBe(0);
    expect(platform.sent.filter((s) => s.message.text === 'orphelin')).toHaveLength(1);
  });
});

describe('fresh rows sent by the worker that committed them', () => {
  let h: Harness;
  const platform = new ScriptedAdapter();
  let paulIdentity: string;
  beforeAll(async () => {
    h = await startHarness('dispatch', { adapters: () => [platform] });
    const identity = await h.prisma.chatIdentity.create({
      data: { memberId: h.demo.members.adjoint, platform: 'TELEGRAM', userId: '43', directChatId: '43' },
    });
    paulIdentity = identity.id;
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** The app's own delivery would do; a second one lets a test choose how many sends it runs at once. */
  const delivery = (maxInFlight = 16) => createDelivery(h.app.services, h.app.metrics, h.app.adapters, h.app.queues, maxInFlight);
  /** Writes one outbox row per text, to `chatId`; the rows as written. */
  const write = (texts: string[], chatId = '43', extra: Partial<Outgoing> = {}) =>
    transaction(h.prisma, (db) => writeOutbox(db, texts.map((text) => ({ to: { platform: 'telegram', workspace: '', chatId }, message: { text }, ...extra }))));
  const row = (id: string) => h.prisma.outboxMessage.findUniqueOrThrow({ where: { id: BigInt(id) } });
  const jobState = (id: string) => h.app.queues.outbound.getJobState(outboxJobId(id));
  const sentTexts = (prefix: string) => platform.sent.filter((s) => s.message.text.startsWith(prefix)).map((s) => s.message.text);

  it('answers a command without a delivery job: the reply is sent by the worker that committed it', async () => {
    const out = await h.say('maire', 'tache Vérifier les extincteurs');
    expect(out).toMatch(/#\d+/);
    const [reply] = await h.prisma.outboxMessage.findMany({ where: { sourceEventKey: { not: null } }, orderBy: { id: 'desc' }, take: 1 });
    expect(reply!.status).toBe('SENT');
    expect(await jobState(reply!.id.toString())).toBe('unknown');
  });

  it('sends at once, records the send, and leaves no job behind', async () => {
    const d = delivery();
    const rows = await write(['direct un', 'direct deux']);
    const ids = rows.map((r) => r.id);
    await d.dispatch(rows);
    await d.idle(5000);
    for (const id of ids) {
      expect((await row(id)).status).toBe('SENT');
      expect(await jobState(id)).toBe('unknown');
    }
    // One chat's rows go out in the order they were written.
    expect(sentTexts('direct ')).toEqual(['direct un', 'direct deux']);
  });

  it('queues what is past its limit of sends in flight; each row is still sent once', async () => {
    const d = delivery(1);
    const rows = [...(await write(['limite a'], '51')), ...(await write(['limite b'], '52')), ...(await write(['limite c'], '53'))];
    const ids = rows.map((r) => r.id);
    await d.dispatch(rows);
    expect(await jobState(ids[0]!)).toBe('unknown');
    expect(await jobState(ids[1]!)).not.toBe('unknown');
    expect(await jobState(ids[2]!)).not.toBe('unknown');
    await until('all sent', async () => (await Promise.all(ids.map(row))).every((r) => r.status === 'SENT'));
    expect(sentTexts('limite ').sort()).toEqual(['limite a', 'limite b', 'limite c']);
    // Its sends done, the delivery has room again: the next row goes at once.
    await d.idle(5000);
    const [next] = await write(['limite d'], '54');
    await d.dispatch([next!]);
    await d.idle(5000);
    expect((await row(next!.id)).status).toBe('SENT');
    expect(await jobState(next!.id)).toBe('unknown');
  });

  it('keeps a chat’s rows together: a chat that does not fit in the limit goes to the queue whole', async () => {
    const d = delivery(2);
    const crowded = await write(['ensemble un', 'ensemble deux', 'ensemble trois'], '55');
    const alone = await write(['seul'], '56');
    await d.dispatch([...crowded, ...alone]);
    for (const r of crowded) expect(await jobState(r.id)).not.toBe('unknown');
    await d.idle(5000);
    expect((await row(alone[0]!.id)).status).toBe('SENT');
    expect(await jobState(alone[0]!.id)).toBe('unknown');
    await until('the chat sent by the queue', async () => (await Promise.all(crowded.map((r) => row(r.id)))).every((r) => r.status === 'SENT'));
    expect(sentTexts('ensemble ').sort()).toEqual(['ensemble deux', 'ensemble trois', 'ensemble un']);
  });

  it('hands a row the platform asks to wait for, and the rest of its chat, to the queue', async () => {
    const d = delivery();
    platform.fail({ retryAfterMs: 800 });
    const rows = await write(['attente un', 'attente deux']);
    const ids = rows.map((r) => r.id);
    const start = Date.now();
    await d.dispatch(rows);
    await d.idle(5000);
    expect(await jobState(ids[0]!)).toBe('delayed');
    await until('both sent', async () => (await Promise.all(ids.map(row))).every((r) => r.status === 'SENT'));
    // Neither the row nor the rest of its chat goes before the platform's wait is over.
    for (const text of ['attente un', 'attente deux']) expect(platform.sent.find((s) => s.message.text === text)!.at - start).toBeGreaterThanOrEqual(795);
    expect(sentTexts('attente ').sort()).toEqual(['attente deux', 'attente un']);
    expect((await row(ids[0]!)).attempts).toBe(2);
  });

  it('retries a network failure through the queue, with backoff, and sends once', async () => {
    const d = delivery();
    platform.fail('network');
    const rows = await write(['réseau coupé']);
    const id = rows[0]!.id;
    await d.dispatch(rows);
    await d.idle(5000);
    const waiting = await row(id);
    expect(waiting.status).toBe('PENDING');
    expect(waiting.lastError).toContain('socket hang up');
    expect(await jobState(id)).toBe('delayed');
    // The direct try was the first: the job has the rest of the tries.
    expect((await h.app.queues.outbound.getJob(outboxJobId(id)))!.opts.attempts).toBe(7);
    const sent = await until('sent after backoff', async () => ((await row(id)).status === 'SENT' ? row(id) : undefined));
    expect(sent.attempts).toBe(2);
    expect(sentTexts('réseau coupé')).toHaveLength(1);
  });

  it('keeps the chat’s pace: the first goes now, the next wait for their slots in the queue', async () => {
    const d = delivery();
    platform.pace = 400;
    try {
      const start = Date.now();
      const rows = await write(['cadence un', 'cadence deux', 'cadence trois'], '61');
      const ids = rows.map((r) => r.id);
      await d.dispatch(rows);
      await d.idle(5000);
      expect(await jobState(ids[0]!)).toBe('unknown');
      await until('all sent', async () => (await Promise.all(ids.map(row))).every((r) => r.status === 'SENT'));
      const sent = platform.sent.filter((s) => s.message.text.startsWith('cadence')).sort((a, b) => a.at - b.at);
      expect(sent.map((s) => s.message.text)).toEqual(['cadence un', 'cadence deux', 'cadence trois']);
      expect(sent[1]!.at - start).toBeGreaterThanOrEqual(395);
      expect(sent[2]!.at - start).toBeGreaterThanOrEqual(795);
    } finally {
      platform.pace = 0;
    }
  });

  it('ends an unreachable recipient at once and sends to the member’s other account', async () => {
    const d = delivery();
    platform.fail('unreachable');
    const rows = await write(['injoignable'], '43', { identityId: paulIdentity, memberId: h.demo.members.adjoint });
    const id = rows[0]!.id;
    await d.dispatch(rows);
    await d.idle(5000);
    expect((await row(id)).status).toBe('FAILED');
    expect(await jobState(id)).toBe('unknown');
    expect((await h.prisma.chatIdentity.findUniqueOrThrow({ where: { id: paulIdentity } })).unreachableAt).not.toBeNull();
    await until('sent on the console', async () => h.transcript().includes('injoignable'));
    await h.prisma.chatIdentity.update({ where: { id: paulIdentity }, data: { unreachableAt: null } });
  });

  it('leaves a row too old to be sure of to the queue', async () => {
    const d = delivery();
    const [fresh] = await write(['ancienne']);
    const id = fresh!.id;
    // Written 20 s ago (its transaction was slow, or the worker was): too old to send directly.
    await d.dispatch([{ ...fresh!, createdAt: new Date(Date.now() - 20_000) }]);
    await d.idle(5000);
    expect(await jobState(id)).not.toBe('unknown');
    await until('sent by the queue', async () => (await row(id)).status === 'SENT');
    expect(sentTexts('ancienne')).toHaveLength(1);
  });

  it('waits, when asked to go idle, for the sends it started', async () => {
    const d = delivery();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const send = platform.send.bind(platform);
    platform.send = async (to, message) => {
      await gate;
      return send(to, message);
    };
    try {
      const rows = await write(['lente']);
      const id = rows[0]!.id;
      await d.dispatch(rows);
      const idle = d.idle(5000).then(() => Date.now());
      await new Promise((r) => setTimeout(r, 200));
      expect((await row(id)).status).toBe('PENDING');
      const releasedAt = Date.now();
      release();
      expect(await idle).toBeGreaterThanOrEqual(releasedAt);
      expect((await row(id)).status).toBe('SENT');
    } finally {
      platform.send = send;
    }
  });
});

