/**
 * Projects: named groups of tasks (the school renovation, the 2025 roads programme). Every
 * member who reads tasks may read them; the mayor and deputies create them.
 */
import { NotFoundError, UserError } from '../core/errors.js';
import { fold } from '../core/text.js';
import type { Tx } from '../db/client.js';
import { audit } from './audit.js';
import { assertCan, type Actor } from './permissions.js';
import type { TaskView } from './tasks.js';

/** Longest project name. */
export const PROJECT_NAME_MAX = 80;
/** Longest project description. */
export const PROJECT_DESCRIPTION_MAX = 500;

/** A project with its task counts. */
export interface ProjectSummary {
  id: string;
  name: string;
  description: string | null;
  open: number;
  done: number;
}

/** A project with its open tasks (soonest due first). */
export interface ProjectDetail extends ProjectSummary {
  tasks: TaskView[];
}

/** The folded form a project name is matched on. */
export function projectSearchName(name: string): string {
  return fold(name).replace(/\s+/gu, ' ').trim();
}

/** The commune's current projects, by name, with open and done task counts (one grouped query). */
export async function listProjects(db: Tx, actor: Actor): Promise<ProjectSummary[]> {
  assertCan(actor, 'project.read');
  const projects = await db.project.findMany({
    where: { communeId: actor.communeId, archived: false },
    select: { id: true, name: true, description: true },
    orderBy: { searchName: 'asc' },
  });
  if (projects.length === 0) return [];
  const counts = await db.task.groupBy({
    by: ['projectId', 'status'],
    where: { communeId: actor.communeId, projectId: { in: projects.map((p) => p.id) }, status: { in: ['OPEN', 'DONE'] } },
    _count: { _all: true },
  });
  const byProject = new Map<string, { open: number; done: number }>();
  for (const row of counts) {
    if (!row.projectId) continue;
    const c = byProject.get(row.projectId) ?? { open: 0, done: 0 };
    if (row.status === 'OPEN') c.open = row._count._all;
    else c.done = row._count._all;
    byProject.set(row.projectId, c);
  }
  return projects.map((p) => ({ ...p, ...(byProject.get(p.id) ?? { open: 0, done: 0 }) }));
}

/**
 * The project a typed name designates: exact name, else the unique one whose name (or a word
 * of it) starts with what was typed, ignoring case and accents. Ambiguity lists the candidates.
 */
export async function findProject(db: Tx, actor: Actor, typed: string): Promise<{ id: string; name: string; description: string | null }> {
  assertCan(actor, 'project.read');
  const q = projectSearchName(typed.replace(/^#/, ''));
  if (!q) throw new UserError('E_INVALID', 'projects.noName');
  const projects = await db.project.findMany({
    where: { communeId: actor.communeId, archived: false },
    select: { id: true, name: true, description: true, searchName: true },
    orderBy: { searchName: 'asc' },
  });
  const exact = projects.filter((p) => p.searchName === q);
  const prefix = projects.filter((p) => p.searchName.startsWith(q));
  const word = projects.filter((p) => p.searchName.split(/[\s'’-]+/u).some((w) => w.startsWith(q)));
  const pool = exact.length > 0 ? exact : prefix.length > 0 ? prefix : word;
  if (pool.length === 0) throw new NotFoundError('projects.notFound', { name: typed });
  if (pool.length > 1) {
    throw new UserError('E_AMBIGUOUS', 'projects.ambiguous', { name: typed, candidates: pool.map((p) => p.name).join(', ') });
  }
  const { id, name, description } = pool[0]!;
  return { id, name, description };
}

/** A project by (part of) its name, with its open tasks and counts. */
export async function getProject(db: Tx, actor: Actor, typed: string, limit = 20): Promise<ProjectDetail> {
  const project = await findProject(db, actor, typed);
  const [tasks, open, done] = await Promise.all([
    db.task.findMany({
      where: { projectId: project.id, status: 'OPEN' },
      include: { assignee: { select: { id: true, displayName: true } }, project: { select: { id: true, name: true } } },
      orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { number: 'asc' }],
      take: limit,
    }),
    db.task.count({ where: { projectId: project.id, status: 'OPEN' } }),
    db.task.count({ where: { projectId: project.id, status: 'DONE' } }),
  ]);
  return { ...project, open, done, tasks };
}

/** Creates a project; its name must be new in the commune (ignoring case and accents). */
export async function createProject(db: Tx, actor: Actor, name: string, description?: string) {
  assertCan(actor, 'project.manage');
  const clean = name.replace(/\s+/gu, ' ').trim();
  if (!clean) throw new UserError('E_INVALID', 'projects.noName');
  if (clean.length > PROJECT_NAME_MAX) throw new UserError('E_INVALID', 'projects.nameTooLong', { max: PROJECT_NAME_MAX });
  const desc = description?.trim() || null;
  if (desc && desc.length > PROJECT_DESCRIPTION_MAX) {
    throw new UserError('E_INVALID', 'projects.descriptionTooLong', { max: PROJECT_DESCRIPTION_MAX });
  }
  const searchName = projectSearchName(clean);
  const existing = await db.project.findUnique({ where: { communeId_searchName: { communeId: actor.communeId, searchName } } });
  if (existing) throw new UserError('E_EXISTS', 'projects.exists', { name: existing.name });
  const project = await db.project.create({
    data: { communeId: actor.communeId, name: clean, searchName, description: desc, createdById: actor.memberId },
  });
  await audit(db, actor, { action: 'project.create', entityType: 'project', entityId: project.id, after: { name: project.name, description: desc } });
  return project;
}
