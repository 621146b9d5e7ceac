import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_ALPHABET, hashCode } from '../../src/domain/members.js';
import { startHarness, type Harness } from '../helpers/harness.js';

// Monday 2 March 2026, 9:00 in Paris (UTC+1).
const NOW = new Date('2026-03-02T08:00:00Z');
const CODE = new RegExp(`[${CODE_ALPHABET}]{4}-[${CODE_ALPHABET}]{4}`);

describe('member commands through the console and the real queues', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('members', { clock: () => NOW, now: NOW });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const codeIn = (out: string) => {
    const m = CODE.exec(out);
    expect(m, out).not.toBeNull();
    return m![0];
  };
  const memberOf = (userId: string) =>
    h.prisma.member.findFirst({ where: { identities: { some: { platform: 'CONSOLE', userId } } }, include: { identities: true } });

  it('invites with a role typed in French (feminine, accents), then links the new account with the code', async () => {
    const out = await h.say('maire', '/inviter Conseillère Anne Roux');
    const code = codeIn(out);
    expect(out).toContain(`Code d’invitation pour Anne Roux (conseiller·e municipal·e) : ${code}`);
    expect(out).toContain('Valable une seule fois, jusqu’au lundi 9 mars 2026 à 09:00.');
    expect(out).toContain(`/lier ${code}`);
    const inv = await h.prisma.invitation.findUniqueOrThrow({ where: { codeHash: hashCode(code) } });
    expect(inv).toMatchObject({ role: 'COUNCILLOR', name: 'Anne Roux', createdById: h.demo.members.maire, usedAt: null });
    expect(await h.prisma.auditEvent.count({ where: { action: 'invitation.create', entityId: inv.id, actorId: h.demo.members.maire } })).toBe(1);

    const linked = await h.say('anne', `/lier ${code.toLowerCase()}`);
    expect(linked).toContain('Bienvenue Anne Roux ! Votre compte est lié à Saint-Pilote (conseiller·e municipal·e).');
    expect(linked).toContain('/aide');
    const anne = await memberOf('anne');
    expect(anne).toMatchObject({ communeId: h.demo.communeId, role: 'COUNCILLOR', displayName: 'Anne Roux', searchName: 'anne roux', locale: 'fr' });
    expect(anne!.identities[0]).toMatchObject({ directChatId: 'direct', workspace: '' });
    const used = await h.prisma.invitation.findUniqueOrThrow({ where: { id: inv.id } });
    expect(used.usedById).toBe(anne!.id);
    const audit = await h.prisma.auditEvent.findFirstOrThrow({ where: { action: 'member.link', entityId: anne!.id } });
    expect(audit).toMatchObject({ actorId: anne!.id, platform: 'CONSOLE', communeId: h.demo.communeId });

    // Anne is a member now: she may list tasks.
    expect(await h.say('anne', '/taches')).toContain('Tâches ouvertes');
    // Linking again says so; the code is spent for anyone else.
    expect(await h.say('anne', `/lier ${code}`)).toContain('Ce compte est déjà lié à Anne Roux (Saint-Pilote).');
    expect(await h.say('intrus', `/lier ${code}`)).toContain('Ce code a déjà servi');
    expect(await memberOf('intrus')).toBeNull();
  });

  it('answers wrong codes and missing arguments with a usage example', async () => {
    expect(await h.say('inconnu', '/lier ZZZZ-ZZZZ')).toContain('Ce code n’est pas valable.');
    const usage = await h.say('inconnu', '/lier');
    expect(usage).toContain('Il manque le code d’invitation.');
    expect(usage).toContain('Exemple : /lier <code> — ex. : /lier K7P4-QXM2');
    expect(await h.say('inconnu', '/taches')).toContain('Je ne vous connais pas encore');
  });

  it('says when a code has expired', async () => {
    const inv = await h.prisma.invitation.create({
      data: { communeId: h.demo.communeId, codeHash: hashCode('ABCD-EFGH'), role: 'CITIZEN', expiresAt: new Date(NOW.getTime() - 1000) },
    });
    expect(await h.say('retard', '/lier ABCD-EFGH')).toContain('Ce code a expiré');
    expect((await h.prisma.invitation.findUniqueOrThrow({ where: { id: inv.id } })).usedAt).toBeNull();
  });

  it('accepts roles in English and feminine forms, and checks who may invite whom', async () => {
    expect(await h.say('maire', '/invite Deputy')).toContain('(adjoint·e)');
    expect(await h.say('adjoint', '/inviter secrétaire Julie')).toContain('pour Julie (agent municipal)');
    expect(await h.say('adjoint', '/inviter citoyenne')).toContain('(citoyen·ne)');
    // A deputy may not make a mayor (domain check); a councillor may not invite at all (role check).
    const before = await h.prisma.invitation.count();
    expect(await h.say('adjoint', '/inviter maire Bob')).toContain('Votre rôle ne permet pas cette action.');
    expect(await h.say('conseillere', '/inviter agent')).toContain('Votre rôle ne permet pas cette action.');
    expect(await h.prisma.invitation.count()).toBe(before);
    const bad = await h.say('maire', '/inviter pompier Jean');
    expect(bad).toContain('Rôle inconnu « pompier ».');
    expect(bad).toContain('Exemple : /inviter <maire|adjoint|conseiller|agent|citoyen> [nom]');
  });

  it('sends the code privately when asked in a group', async () => {
    const out = await h.say('maire', '/inviter agent Paul Henri', { room: 'conseil' });
    expect(out).toContain('[conseil] 📬 Je vous l’ai envoyé en message privé.');
    const codeLine = out.split('\n').find((l) => CODE.test(l))!;
    expect(codeLine).toBeDefined();
    expect(codeLine.startsWith('[conseil]')).toBe(false);
  });

  it('switches language with /langue and then answers in English', async () => {
    const out = await h.say('conseillere', '/langue en');
    expect(out).toContain('Noted, I will speak English with you.');
    expect((await h.prisma.member.findUniqueOrThrow({ where: { id: h.demo.members.conseillere } })).locale).toBe('en');
    expect(await h.prisma.auditEvent.count({ where: { action: 'member.locale', actorId: h.demo.members.conseillere } })).toBe(1);
    expect(await h.say('conseillere', '/invite agent')).toContain('Your role does not allow this.');
    const data = await h.say('conseillere', '/mydata');
    expect(data).toContain('Your data in Pilote — Marie Dupont, councillor in Saint-Pilote');
    expect(data).toContain('To erase it all: /forget');
    const usage = await h.say('conseillere', '/language klingon');
    expect(usage).toContain('Unknown language “klingon”: fr or en.');
    expect(usage).toContain('Example: /language fr|en');
    expect(await h.say('conseillere', '/langue français')).toContain('C’est noté, je vous parle en français.');
  });

  it('exports my data as a summary and JSON', async () => {
    const out = await h.say('maire', '/mesdonnees');
    expect(out).toContain('Vos données dans Pilote — Claire Martin, maire à Saint-Pilote');
    expect(out).toMatch(/Comptes liés : 1 · tâches créées : 4 · confiées : 1/);
    const json = out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1);
    const data = JSON.parse(json) as { member: { displayName: string }; tasksCreated: { title: string }[] };
    expect(data.member.displayName).toBe('Claire Martin');
    expect(data.tasksCreated.map((t) => t.title)).toContain('Préparer l’ordre du jour du conseil');
    expect(out).not.toContain('Trop long');
  });

  it('cuts a long export to fit one message and says how much is shown', async () => {
    const memberId = h.demo.members.adjoint;
    await h.prisma.auditEvent.createMany({
      data: Array.from({ length: 200 }, (_, i) => ({ communeId: h.demo.communeId, actorId: memberId, action: 'task.create', entityType: 'task', entityId: `t${i}` })),
    });
    const out = await h.say('adjoint', '/mesdonnees');
    expect(out).toMatch(/Trop long pour un message : \d+ éléments affichés sur \d+\./);
    expect(out.length).toBeLessThan(3600);
    const json = out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1);
    expect(() => JSON.parse(json)).not.toThrow();
  });

  it('forgets a member after confirmation by that member only', async () => {
    const ask = await h.say('agent', '/oublier');
    expect(ask).toContain('Effacer votre identité ?');
    expect(ask).toContain('[1] ✅ Confirmer');
    // Someone else pressing the button does nothing.
    expect(await h.say('adjoint', '1')).toContain('Ce bouton est pour la personne qui a demandé l’effacement.');
    expect((await h.prisma.member.findUniqueOrThrow({ where: { id: h.demo.members.agent } })).erasedAt).toBeNull();

    const done = await h.say('agent', '1');
    expect(done).toContain('C’est fait : votre identité est effacée');
    const agent = await h.prisma.member.findUniqueOrThrow({ where: { id: h.demo.members.agent }, include: { identities: true, tasksAssigned: true } });
    expect(agent.displayName).toBe('Membre effacé');
    expect(agent.erasedAt).toEqual(NOW);
    expect(agent.identities).toHaveLength(0);
    expect(agent.tasksAssigned.map((t) => t.number)).toContain(2);
    const audit = await h.prisma.auditEvent.findFirstOrThrow({ where: { action: 'member.forget', entityId: agent.id } });
    expect(JSON.stringify(audit.after)).not.toContain('Sophie');

    // The account is a stranger now; the commune's tasks still show the work, without the name.
    expect(await h.say('agent', '/taches')).toContain('Je ne vous connais pas encore');
    expect(await h.say('maire', '/taches @sophie')).toContain('Je ne trouve personne');
  });

  it('keeps the only mayor from forgetting themselves, and explains why', async () => {
    const out = await h.say('maire', '/oublier');
    expect(out).toContain('Vous êtes le seul ou la seule maire de la commune');
    expect(out).toContain('/inviter maire');
    expect(out).not.toContain('Confirmer');
  });
});
