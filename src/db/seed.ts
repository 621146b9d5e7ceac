/**
 * The demo commune (`pilote seed-demo`, `pilote demo`, and the tests' fixture): Saint-Pilote,
 * 812 inhabitants, its mayor, a deputy, a councillor, the town-hall secretary and a citizen,
 * each with a console identity, a project and a few tasks.
 */
import { fold } from '../core/text.js';
import type { Role } from '../generated/prisma/enums.js';
import type { PrismaClient } from './client.js';
import { transaction } from './sql.js';

/** Console user ids of the demo members, by the role they hold. */
export const DEMO_USERS = {
  maire: { name: 'Claire Martin', role: 'MAYOR' },
  adjoint: { name: 'Paul Lefèvre', role: 'DEPUTY' },
  conseillere: { name: 'Marie Dupont', role: 'COUNCILLOR' },
  agent: { name: 'Sophie Bernard', role: 'AGENT' },
  citoyen: { name: 'Jean Petit', role: 'CITIZEN' },
} as const satisfies Record<string, { name: string; role: Role }>;

/** A demo console user id. */
export type DemoUser = keyof typeof DEMO_USERS;

/** What {@link seedDemo} made. */
export interface DemoCommune {
  communeId: string;
  insee: string;
  members: Record<DemoUser, string>;
  projectId: string;
}

/**
 * Creates the demo commune unless one with `insee` exists (then returns it as found).
 * `now` anchors the demo tasks' due dates.
 */
export async function seedDemo(prisma: PrismaClient, opts: { insee?: string; now?: Date; timezone?: string } = {}): Promise<DemoCommune> {
  const insee = opts.insee ?? '99001';
  const now = opts.now ?? new Date();
  return transaction(prisma, async (db) => {
    const existing = await db.commune.findUnique({ where: { insee }, include: { members: true, projects: true } });
    if (existing) {
      const members = {} as Record<DemoUser, string>;
      for (const [user, def] of Object.entries(DEMO_USERS) as [DemoUser, (typeof DEMO_USERS)[DemoUser]][]) {
        const m = existing.members.find((x) => x.displayName === def.name);
        if (m) members[user] = m.id;
      }
      return { communeId: existing.id, insee, members, projectId: existing.projects[0]?.id ?? '' };
    }
    const commune = await db.commune.create({
      data: { name: 'Saint-Pilote', insee, population: 812, timezone: opts.timezone ?? 'Europe/Paris', taskSeq: 4 },
    });
    const members = {} as Record<DemoUser, string>;
    for (const [user, def] of Object.entries(DEMO_USERS) as [DemoUser, (typeof DEMO_USERS)[DemoUser]][]) {
      const m = await db.member.create({
        data: {
          communeId: commune.id,
          role: def.role,
          displayName: def.name,
          searchName: fold(def.name),
          identities: { create: { platform: 'CONSOLE', userId: user, directChatId: 'direct' } },
        },
      });
      members[user] = m.id;
    }
    const project = await db.project.create({
      data: { communeId: commune.id, name: 'Rénovation de l’école', searchName: fold('Rénovation de l’école'), createdById: members.maire },
    });
    const day = 24 * 3600 * 1000;
    const tasks = [
      { title: 'Commander les illuminations de Noël', assigneeId: members.adjoint, dueAt: new Date(now.getTime() + 3 * day) },
      { title: 'Relancer le devis de la toiture de l’école', assigneeId: members.agent, dueAt: new Date(now.getTime() - 2 * day), projectId: project.id },
      { title: 'Préparer l’ordre du jour du conseil', assigneeId: members.maire, dueAt: new Date(now.getTime() + day) },
      { title: 'Vérifier les extincteurs de la salle des fêtes', assigneeId: null, dueAt: null },
    ];
    await db.task.createMany({
      data: tasks.map((t, i) => ({ ...t, communeId: commune.id, number: i + 1, createdById: members.maire, createdVia: 'CONSOLE' as const })),
    });
    await db.auditEvent.create({ data: { communeId: commune.id, action: 'commune.seed', entityType: 'commune', entityId: commune.id } });
    return { communeId: commune.id, insee, members, projectId: project.id };
  });
}
