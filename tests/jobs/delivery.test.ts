import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outgoing } from '../../src/core/context.js';
import { enqueueOutbox, requeuePending, writeOutbox } from '../../src/jobs/outbox.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { ScriptedAdapter } from '../helpers/scripted-adapter.js';
import { until } from '../helpers/wait.js';


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
    const ids = await h.prisma.$transaction((db) =>
      writeOutbox(db, [{ to: { platform: 'telegram', workspace: '', chatId: '42' }, message: { text }, identityId: paulIdentity, ...extra }]),
    );
    await enqueueOutbox(h.app.queues, ids);
    return BigInt(ids[0]!);
  };
  const row = (id: bigint) => h.prisma.outboxMessage.findUniqueOrThrow({ where: { id } });

  it('delivers, records the platform message id and the buttons it carried', async () => {
    const ids = await h.prisma.$transaction((db) =>
      writeOutbox(db, [
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
    const [id] = await h.prisma.$transaction((db) =>
      writeOutbox(db, [{ to: { platform: 'telegram', workspace: '', chatId: '42' }, message: { text: 'orphelin' } }]),
    );
    await h.prisma.outboxMessage.update({ where: { id: BigInt(id!) }, data: { createdAt: new Date(Date.now() - 60_000) } });
    expect(await requeuePending(h.prisma, h.app.queues, new Date())).toBe(1);
    await until('orphan sent', async () => (await row(BigInt(id!))).status === 'SENT');
    expect(await requeuePending(h.prisma, h.app.queues, new Date())).toBe(0);
    expect(platform.sent.filter((s) => s.message.text === 'orphelin')).toHaveLength(1);
  });
});
