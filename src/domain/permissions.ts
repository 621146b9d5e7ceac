/**
 * Who may do what (SPEC section 1). Checked in the domain layer by every use case, and early
 * by the command middleware so the user gets a clear answer before any parsing.
 */
import { ForbiddenError } from '../core/errors.js';
import type { Role } from '../generated/prisma/enums.js';

/** An action a member may be allowed to take. */
export type Permission =
  | 'task.create'
  | 'task.read'
  | 'task.update.any'
  | 'task.update.own'
  | 'task.assign'
  | 'dashboard.read'
  | 'agenda.read'
  | 'project.read'
  | 'project.manage'
  | 'room.bind'
  | 'member.invite'
  | 'meeting.create'
  | 'poll.create'
  | 'reminder.create'
  | 'reminder.forOthers'
  | 'account.manage';

const COUNCILLOR: Permission[] = [
  'task.create', 'task.read', 'task.update.any', 'task.update.own', 'task.assign', 'dashboard.read',
  'agenda.read', 'project.read', 'meeting.create', 'poll.create', 'reminder.create', 'account.manage',
];
const DEPUTY: Permission[] = [...COUNCILLOR, 'project.manage', 'member.invite', 'room.bind', 'reminder.forOthers'];
const AGENT: Permission[] = [
  'task.create', 'task.read', 'task.update.own', 'dashboard.read', 'agenda.read', 'meeting.create',
  'reminder.create', 'account.manage',
];

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  MAYOR: new Set<Permission>([...DEPUTY]),
  DEPUTY: new Set(DEPUTY),
  COUNCILLOR: new Set(COUNCILLOR),
  AGENT: new Set(AGENT),
  CITIZEN: new Set<Permission>(['account.manage']),
};

/** Roles each role may invite: the mayor any role, a deputy councillors, agents and citizens. */
const INVITABLE: Record<Role, readonly Role[]> = {
  MAYOR: ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT', 'CITIZEN'],
  DEPUTY: ['COUNCILLOR', 'AGENT', 'CITIZEN'],
  COUNCILLOR: [],
  AGENT: [],
  CITIZEN: [],
};

/** The member on whose behalf a use case runs. */
export interface Actor {
  memberId: string;
  communeId: string;
  role: Role;
  platform: import('../generated/prisma/enums.js').Platform;
}

/** Whether `role` holds `permission`. */
export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

/** Throws {@link ForbiddenError} unless the actor holds `permission`. */
export function assertCan(actor: Pick<Actor, 'role'>, permission: Permission): void {
  if (!can(actor.role, permission)) throw new ForbiddenError(permission);
}

/** Whether `role` may invite someone as `target`. */
export function canInvite(role: Role, target: Role): boolean {
  return INVITABLE[role].includes(target);
}

/**
 * Whether the actor may change a task: anyone with `task.update.any`, or its creator or
 * assignee with `task.update.own` (agents).
 */
export function canUpdateTask(actor: Actor, task: { createdById: string; assigneeId: string | null }): boolean {
  if (can(actor.role, 'task.update.any')) return true;
  return can(actor.role, 'task.update.own') && (task.createdById === actor.memberId || task.assigneeId === actor.memberId);
}
