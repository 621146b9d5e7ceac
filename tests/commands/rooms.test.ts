import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

const NOW = new Date('2026-03-02T08:00:00Z');

describe('room commands through the console and the real queues', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('rooms', { clock: () => NOW, now: NOW });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const binding = (chatId: string) =>
    h.prisma.roomBinding.findUnique({ where: { platform_workspace_chatId: { platform: 'CONSOLE', workspace: '', chatId } } });
  const audits = (roomId: string) => h.prisma.auditEvent.findMany({ where: { entityType: 'room', entityId: roomId }, orderBy: { id: 'asc' } });

  it('refuses to bind a direct chat', async () => {
    expect(await h.say('maire', '/salon')).toContain('Cette commande se tape dans un groupe');
    expect(await h.prisma.roomBinding.count()).toBe(0);
  });

  it('binds the room to the council by default, with an audit row', async () => {
    const out = await h.say('maire', '/salon', { room: 'conseil' });
    expect(out).toContain('[conseil] 📌 Ce salon est maintenant le salon du conseil de Saint-Pilote.');
    expect(out).toContain('le résumé du jour');
    const room = await binding('conseil');
    expect(room).toMatchObject({ communeId: h.demo.communeId, purpose: 'COUNCIL', createdById: h.demo.members.maire });
    const rows = await audits(room!.id);
    expect(rows.map((a) => a.action)).toEqual(['room.bind']);
    expect(rows[0]).toMatchObject({ actorId: h.demo.members.maire, platform: 'CONSOLE', after: { purpose: 'COUNCIL', platform: 'CONSOLE' } });
  });

  it('says when nothing changes, and rebinds to another purpose', async () => {
    expect(await h.say('adjoint', '/salon Conseil', { room: 'conseil' })).toContain('Ce salon est déjà le salon du conseil de Saint-Pilote');
    const room = await binding('conseil');
    expect(await audits(room!.id)).toHaveLength(1);

    const out = await h.say('adjoint', '/salon agents', { room: 'conseil' });
    expect(out).toContain('Ce salon n’est plus le salon du conseil : c’est maintenant le salon des agents de Saint-Pilote.');
    expect((await binding('conseil'))!.purpose).toBe('AGENTS');
    const rows = await audits(room!.id);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ actorId: h.demo.members.adjoint, before: { purpose: 'COUNCIL' }, after: { purpose: 'AGENTS' } });
    expect(await h.prisma.roomBinding.count()).toBe(1);
  });

  it('takes English purposes and answers in English', async () => {
    await h.say('adjoint', '/langue en');
    const out = await h.say('adjoint', '/room council', { room: 'conseil' });
    expect(out).toContain('This is no longer the agents room: it is now the council room of Saint-Pilote.');
    expect(await h.say('adjoint', '/room citizens', { room: 'place-du-village' })).toContain('This is now the citizens room of Saint-Pilote.');
    expect((await binding('place-du-village'))!.purpose).toBe('CITIZENS');
    await h.say('adjoint', '/langue fr');
  });

  it('checks the role and the purpose word', async () => {
    expect(await h.say('conseillere', '/salon', { room: 'autre' })).toContain('Votre rôle ne permet pas cette action.');
    expect(await h.say('citoyen', '/salon', { room: 'autre' })).toContain('Votre rôle ne permet pas cette action.');
    const bad = await h.say('maire', '/salon pompiers', { room: 'autre' });
    expect(bad).toContain('Je ne connais pas « pompiers ».');
    expect(bad).toContain('Exemple : /salon [conseil|agents|citoyens]');
    expect(await binding('autre')).toBeNull();
  });

  it('will not take a room bound to another commune', async () => {
    const neighbour = await h.prisma.commune.create({ data: { name: 'Voisin-sur-Loire', insee: '99002' } });
    await h.prisma.roomBinding.create({ data: { communeId: neighbour.id, platform: 'CONSOLE', chatId: 'voisins', purpose: 'COUNCIL' } });
    const out = await h.say('maire', '/salon agents', { room: 'voisins' });
    expect(out).toContain('Ce salon est déjà lié à une autre commune');
    expect(await binding('voisins')).toMatchObject({ communeId: neighbour.id, purpose: 'COUNCIL' });
  });
});
