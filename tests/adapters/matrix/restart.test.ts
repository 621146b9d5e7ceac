/**
 * Restarts: the sync token and filter live in PostgreSQL (the core's AdapterState table through
 * the adapter's storage provider), so a new process neither replays what was handled nor misses
 * what was said while it was down; a password login happens once and its token is kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventKey } from '../../../adapters/matrix/inbound.js';
import { App } from '../../../src/app.js';
import type { InboundEvent } from '../../../src/core/types.js';
import { createLogger } from '../../../src/logger.js';
import { startMatrix, type MatrixSetup } from './setup.js';

describe('matrix adapter across restarts', () => {
  let m: MatrixSetup;
  let second: App | undefined;
  beforeAll(async () => {
    m = await startMatrix('matrix-restart');
  });
  afterAll(async () => {
    await second?.stop(2000);
    await m?.stop();
  });

  const stateValue = async (key: string) => (await m.h.prisma.adapterState.findUnique({ where: { key } }))?.value;

  it('keeps the sync token and filter in PostgreSQL; a restarted process replays nothing and misses nothing', async () => {
    const claire = m.hs.addUser('claire', { displayName: 'Claire Martin' });
    await m.link('maire', claire);
    const dm = m.hs.createRoom(claire, { direct: true, invite: [m.bot] });
    await m.botMessage(dm, 0);
    const first = m.hs.say(dm, claire, 'taches');
    await m.botMessage(dm, 1);
    await m.h.app.settle(eventKey(first));

    // The whole process stops.
    await m.h.app.stop(2000);
    const token = await stateValue(`matrix:${m.bot}:sync`);
    expect(token).toMatch(/^s\d+$/);
    expect(JSON.parse((await stateValue(`matrix:${m.bot}:filter`))!)).toMatchObject({ id: expect.any(String), filter: { room: { timeline: { limit: 50 } } } });
    expect(JSON.parse((await stateValue(`matrix:${m.bot}:direct`))!)).toEqual([dm]);

    // Said while the bot was down.
    const whileDown = m.hs.say(dm, claire, 'aide');
    const syncsBefore = m.hs.syncs().length;

    // A new process on the same database and Redis; what its adapter receives is recorded.
    const adapter = m.newAdapter();
    second = App.create({ config: m.config, role: 'worker', adapters: [adapter], logger: createLogger('silent') });
    await second.start();
    const seen: InboundEvent[] = [];
    await adapter.startReceiving(async (event) => {
      seen.push(event);
      await second!.submit(event);
    });

    const answer = await m.botMessage(dm, 2);
    expect(answer.content.body).toContain('!tache');
    expect(seen.map((e) => e.id)).toEqual([eventKey(whileDown)]);
    // It went on from the kept token, with the kept filter: no initial sync, no new filter.
    const resumed = m.hs.syncs().slice(syncsBefore).filter((s) => s.userId === m.bot);
    expect(resumed[0]?.since).toBe(token);
    expect(m.hs.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/filter'))).toHaveLength(1);

    // And it keeps going.
    const after = m.hs.say(dm, claire, 'tableau');
    await m.botMessage(dm, 3);
    expect(seen.map((e) => e.id)).toEqual([eventKey(whileDown), eventKey(after)]);
    expect(m.botMessages(dm)).toHaveLength(4);
  });

  it('logs in once with MATRIX_USER_ID and MATRIX_PASSWORD, then reuses the kept token', async () => {
    const login = { accessToken: undefined, userId: m.bot, password: 'bot-password' };
    const logins = () => m.hs.requests.filter((r) => r.path.endsWith('/login')).length;
    const a = m.newAdapter(login);
    await a.startSending();
    expect(logins()).toBe(1);
    const kept = await stateValue(`matrix:login:${m.bot}`);
    expect(kept).toMatch(/^tok_/);
    expect(a.workspace).toBe('pilote.test');

    const b = m.newAdapter(login);
    await b.startSending();
    expect(logins()).toBe(1);
    const claire = '@claire:pilote.test';
    const room = m.hs.createRoom(claire, { invite: [m.bot] });
    m.hs.join(room, m.bot);
    await b.send({ platform: 'matrix', workspace: 'pilote.test', chatId: room }, { text: 'Bonjour' });
    expect(m.hs.requests.at(-1)).toMatchObject({ method: 'PUT', userId: m.bot });
    await a.stop();
    await b.stop();
  });
});
