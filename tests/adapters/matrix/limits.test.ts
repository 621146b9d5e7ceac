/**
 * The Matrix adapter at its limits: invites it must refuse (encrypted rooms, strangers' group
 * rooms) or accept (allow-listed homeservers), the homeserver's rate limit honoured through the
 * delivery worker, failures mapped to delivery errors, and a dropped sync connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventKey } from '../../../adapters/matrix/inbound.js';
import { DeliveryError } from '../../../src/core/errors.js';
import type { ChatAddress } from '../../../src/core/types.js';
import { SERVER, startMatrix, type MatrixSetup } from './setup.js';

describe('matrix adapter at its limits', () => {
  let m: MatrixSetup;
  let claire: string;
  let dm: string;
  beforeAll(async () => {
    m = await startMatrix('matrix-limits', { env: { MATRIX_ALLOWED_SERVERS: 'partenaire.test' } });
    claire = m.hs.addUser('claire', { displayName: 'Claire Martin' });
    await m.link('maire', claire);
    dm = m.hs.createRoom(claire, { direct: true, invite: [m.bot] });
    await m.botMessage(dm, 0);
  });
  afterAll(async () => {
    await m?.stop();
  });

  const to = (chatId: string): ChatAddress => ({ platform: 'matrix', workspace: SERVER, chatId });
  const failure = async (p: Promise<unknown>): Promise<DeliveryError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeliveryError);
    return err as DeliveryError;
  };
  const leaveOf = (roomId: string) => m.hs.timeline(roomId).find((e) => e.type === 'm.room.member' && e.state_key === m.bot && e.content.membership === 'leave');

  it('explains in plain words and leaves when invited to an encrypted room', async () => {
    const room = m.hs.createRoom(claire, { name: 'Conseil (chiffré)', encrypted: true, invite: [m.bot] });
    await m.hs.waitFor(() => m.hs.membership(room, m.bot) === 'leave', 10_000, 'the bot leaving');
    const said = m.botMessages(room);
    expect(said).toHaveLength(1);
    expect(said[0]!.content.body).toContain('chiffré de bout en bout');
    expect(said[0]!.content.msgtype).toBe('m.notice');
    expect(leaveOf(room)?.content.reason).toContain('chiffré');

    // A newcomer's encrypted direct chat too: they learn why instead of waiting for an answer.
    const newcomer = m.hs.addUser('@nouveau:ailleurs.test');
    const secret = m.hs.createRoom(newcomer, { direct: true, encrypted: true, invite: [m.bot] });
    await m.hs.waitFor(() => m.hs.membership(secret, m.bot) === 'leave', 10_000, 'the bot leaving the encrypted DM');
    expect(m.botMessages(secret)[0]!.content.body).toContain('chiffré');
  });

  it('leaves a room that turns encryption on', async () => {
    const room = m.hs.createRoom(claire, { name: 'Bureau', invite: [m.bot] });
    await m.hs.waitFor(() => m.hs.membership(room, m.bot) === 'join', 10_000, 'the bot joining');
    m.hs.state(room, claire, 'm.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' });
    await m.hs.waitFor(() => m.hs.membership(room, m.bot) === 'leave', 10_000, 'the bot leaving');
    expect(m.botMessages(room).at(-1)!.content.body).toContain('chiffré');
  });

  it('declines a group-room invite from someone who is not a linked member', async () => {
    const stranger = m.hs.addUser('@intrus:ailleurs.test');
    const room = m.hs.createRoom(stranger, { name: 'Salon inconnu', invite: [m.bot] });
    await m.hs.waitFor(() => m.hs.membership(room, m.bot) === 'leave', 10_000, 'the invite declined');
    expect(m.hs.timeline(room).some((e) => e.state_key === m.bot && e.content.membership === 'join')).toBe(false);
    expect(m.botMessages(room)).toHaveLength(0);
    expect(leaveOf(room)?.content.reason).toContain('membre lié');
  });

  it('joins a group room on the invite of a user of an allow-listed homeserver', async () => {
    const partner = m.hs.addUser('@agent:partenaire.test');
    const room = m.hs.createRoom(partner, { name: 'Intercommunalité', invite: [m.bot] });
    await m.hs.waitFor(() => m.hs.membership(room, m.bot) === 'join', 10_000, 'the bot joining');
    expect((await m.botMessage(room, 0)).content.body).toContain('!salon');
  });

  it('delivers a reply after the retry_after_ms of M_LIMIT_EXCEEDED', async () => {
    m.hs.rateLimit({ path: /\/send\/m\.room\.message\//, retryAfterMs: 700 });
    const asked = m.hs.say(dm, claire, 'aide');
    const answer = await m.botMessage(dm, 1);
    expect(answer.content.body).toContain('!tache');
    const sends = m.hs.requests.filter((r) => r.method === 'PUT' && r.path.includes('/send/m.room.message/'));
    const limited = sends.at(-2)!;
    const delivered = sends.at(-1)!;
    expect(delivered.at - limited.at).toBeGreaterThanOrEqual(650);
    await m.h.app.settle(eventKey(asked));
    const row = await m.h.prisma.outboxMessage.findFirst({ where: { sourceEventKey: eventKey(asked) } });
    expect(row).toMatchObject({ status: 'SENT', platformMessageId: answer.event_id });
    expect(row?.lastError).toContain('M_LIMIT_EXCEEDED');
  });

  it('maps failures: M_FORBIDDEN is unreachable, 5xx and network errors are retried, a rate limit carries its delay', async () => {
    const room = m.hs.createRoom(claire, { name: 'Kické', invite: [m.bot] });
    await m.hs.waitFor(() => m.hs.membership(room, m.bot) === 'join', 10_000, 'the bot joining');
    m.hs.state(room, claire, 'm.room.member', m.bot, { membership: 'leave', reason: 'kick' });
    expect((await failure(m.adapter.send(to(room), { text: 'Bonjour' }))).failure).toBe('unreachable');

    m.hs.fail({ path: /\/send\//, status: 502 });
    expect((await failure(m.adapter.send(to(dm), { text: 'Bonjour' }))).failure).toBe('retry');
    m.hs.rateLimit({ path: /\/send\//, retryAfterMs: 1234 });
    expect(await failure(m.adapter.send(to(dm), { text: 'Bonjour' }))).toMatchObject({ failure: 'retry', retryAfterMs: 1234 });
    expect((await failure(m.adapter.send(to('!inconnu:pilote.test'), { text: 'x', editOf: '$absent' }))).failure).toBe('permanent');

    // Reactions are put after the message: a rate limit on them is waited out, not a failure.
    m.hs.rateLimit({ path: /\/send\/m\.reaction\//, retryAfterMs: 50 });
    const sent = await m.adapter.send(to(dm), { text: 'Choix', buttons: [[{ label: 'Oui', action: 'a:1' }, { label: 'Non', action: 'a:2' }]] });
    expect(m.hs.reactionsOn(dm, sent.messageId, m.bot).map((r) => (r.content['m.relates_to'] as { key: string }).key)).toEqual(['1️⃣', '2️⃣']);
  });

  it('reconnects with backoff when the sync connection drops or the server fails', async () => {
    const from = m.hs.requests.length;
    await m.hs.waitFor(() => m.hs.dropSyncConnections() > 0, 5000, 'a pending sync to drop');
    m.hs.fail({ path: /\/sync$/, status: 502, times: 2 });
    const before = m.botMessages(dm).length;
    const asked = m.hs.say(dm, claire, 'tableau');
    const answer = await m.botMessage(dm, before);
    expect(answer.content.body).toContain('Saint-Pilote');
    await m.h.app.settle(eventKey(asked));
    // The dropped poll and the two failed syncs were retried within moments (not the SDK's 5-15 s), and the answer came once.
    expect(m.hs.requests.slice(from).filter((r) => r.path.endsWith('/sync')).length).toBeGreaterThanOrEqual(4);
    expect(m.botMessages(dm)).toHaveLength(before + 1);
  });
});
