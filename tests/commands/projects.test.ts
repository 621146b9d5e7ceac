import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

const NOW = new Date('2026-03-02T08:00:00Z');

describe('project commands through the console and the real queues', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('projects', { clock: () => NOW, now: NOW });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('lists the projects with open and done counts', async () => {
    const out = await h.say('conseillere', '/projets');
    expect(out).toContain('Projets de la commune (1)');
    expect(out).toContain('• Rénovation de l’école — 1 en cours, 0 faites');
    expect(out).toContain('/projet <nom>');
  });

  it('shows one project, matched on a word prefix without accents, with its open tasks', async () => {
    const out = await h.say('conseillere', '/projet ECOLE');
    expect(out).toContain('🗂️ Rénovation de l’école');
    expect(out).toContain('1 tâche(s) en cours, 0 faite(s)');
    expect(out).toContain('#2 Relancer le devis de la toiture de l’école');
    expect(await h.say('conseillere', '/projet rénov')).toContain('Relancer le devis');
  });

  it('lets a deputy create a project, audited; a councillor may not', async () => {
    const denied = await h.say('conseillere', '/projet nouveau Voirie 2026');
    expect(denied).toContain('Votre rôle ne permet pas cette action.');
    expect(await h.prisma.project.count({ where: { communeId: h.demo.communeId } })).toBe(1);

    const out = await h.say('adjoint', '/projet nouveau Voirie 2026 ; réfection des chemins communaux');
    expect(out).toContain('Projet Voirie 2026 créé. Ajoutez-y des tâches : /tache <titre> #Voirie');
    const project = await h.prisma.project.findFirstOrThrow({ where: { communeId: h.demo.communeId, name: 'Voirie 2026' } });
    expect(project).toMatchObject({ searchName: 'voirie 2026', description: 'réfection des chemins communaux', createdById: h.demo.members.adjoint });
    const audit = await h.prisma.auditEvent.findFirstOrThrow({ where: { entityType: 'project', entityId: project.id } });
    expect(audit).toMatchObject({ action: 'project.create', actorId: h.demo.members.adjoint, after: { name: 'Voirie 2026' } });

    expect(await h.say('maire', '/projet nouveau VOIRIE  2026')).toContain('Le projet « Voirie 2026 » existe déjà.');
    const usage = await h.say('maire', '/projet nouveau');
    expect(usage).toContain('Il manque le nom du projet.');
    expect(usage).toContain('Exemple : /projet <nom> ou /projet nouveau <nom>');
  });

  it('counts tasks per project and shows the description', async () => {
    await h.say('maire', '/tache Boucher les nids-de-poule chemin du Moulin #voirie');
    await h.say('maire', '/tache Commander le gravier #voirie');
    await h.say('maire', '/fait 6');
    const list = await h.say('maire', '/projets');
    expect(list).toContain('• Voirie 2026 — 1 en cours, 1 faites');
    const one = await h.say('maire', '/projet voirie');
    expect(one).toContain('réfection des chemins communaux');
    expect(one).toContain('#5 Boucher les nids-de-poule chemin du Moulin');
    expect(one).not.toContain('#6');
  });

  it('asks which project when a name is ambiguous, and says when none matches', async () => {
    await h.say('maire', '/projet nouveau Voirie 2027');
    const out = await h.say('maire', '/projet voirie');
    expect(out).toContain('« voirie » désigne plusieurs projets : Voirie 2026, Voirie 2027. Précisez.');
    expect(await h.say('maire', '/projet voirie 2027')).toContain('Aucune tâche en cours.');
    expect(await h.say('maire', '/projet piscine')).toContain('Aucun projet ne correspond à « piscine ».');
  });

  it('is closed to agents and citizens, and speaks English', async () => {
    expect(await h.say('agent', '/projets')).toContain('Votre rôle ne permet pas cette action.');
    expect(await h.say('citoyen', '/projets')).toContain('Votre rôle ne permet pas cette action.');
    await h.say('adjoint', '/language en');
    const out = await h.say('adjoint', '/projects');
    expect(out).toContain('The commune’s projects (3)');
    expect(out).toContain('• Voirie 2026 — 1 open, 1 done');
    expect(await h.say('adjoint', '/project new')).toContain('The project name is missing.');
  });
});
