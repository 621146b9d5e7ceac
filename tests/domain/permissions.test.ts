import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../src/core/errors.js';
import { assertCan, can, canInvite, canUpdateTask, type Permission } from '../../src/domain/permissions.js';
import type { Role } from '../../src/generated/prisma/enums.js';

const ROLES: Role[] = ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT', 'CITIZEN'];

// The expected matrix, written out from SPEC section 1 so a change to the grants shows here.
const EXPECTED: Record<Permission, Role[]> = {
  'task.create': ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT'],
  'task.read': ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT'],
  'task.update.any': ['MAYOR', 'DEPUTY', 'COUNCILLOR'],
  'task.update.own': ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT'],
  'task.assign': ['MAYOR', 'DEPUTY', 'COUNCILLOR'],
  'dashboard.read': ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT'],
  'agenda.read': ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT'],
  'project.read': ['MAYOR', 'DEPUTY', 'COUNCILLOR'],
  'project.manage': ['MAYOR', 'DEPUTY'],
  'room.bind': ['MAYOR', 'DEPUTY'],
  'member.invite': ['MAYOR', 'DEPUTY'],
  'meeting.create': ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT'],
  'poll.create': ['MAYOR', 'DEPUTY', 'COUNCILLOR'],
  'reminder.create': ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT'],
  'reminder.forOthers': ['MAYOR', 'DEPUTY'],
  'account.manage': ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'AGENT', 'CITIZEN'],
};

describe('permissions', () => {
  for (const [permission, roles] of Object.entries(EXPECTED) as [Permission, Role[]][]) {
    for (const role of ROLES) {
      const expected = roles.includes(role);
      it(`${role} ${expected ? 'may' : 'may not'} ${permission}`, () => {
        expect(can(role, permission)).toBe(expected);
        if (expected) expect(() => assertCan({ role }, permission)).not.toThrow();
        else expect(() => assertCan({ role }, permission)).toThrow(ForbiddenError);
      });
    }
  }

  it('lets the mayor invite any role and a deputy only councillors, agents and citizens', () => {
    for (const target of ROLES) expect(canInvite('MAYOR', target)).toBe(true);
    expect(ROLES.filter((r) => canInvite('DEPUTY', r))).toEqual(['COUNCILLOR', 'AGENT', 'CITIZEN']);
    for (const role of ['COUNCILLOR', 'AGENT', 'CITIZEN'] as Role[]) expect(ROLES.some((r) => canInvite(role, r))).toBe(false);
  });

  it('lets an agent change only the tasks they created or hold', () => {
    const agent = { memberId: 'a', communeId: 'c', role: 'AGENT' as Role, platform: 'CONSOLE' as const };
    expect(canUpdateTask(agent, { createdById: 'a', assigneeId: null })).toBe(true);
    expect(canUpdateTask(agent, { createdById: 'x', assigneeId: 'a' })).toBe(true);
    expect(canUpdateTask(agent, { createdById: 'x', assigneeId: 'y' })).toBe(false);
    expect(canUpdateTask({ ...agent, role: 'COUNCILLOR' }, { createdById: 'x', assigneeId: 'y' })).toBe(true);
    expect(canUpdateTask({ ...agent, role: 'CITIZEN' }, { createdById: 'a', assigneeId: 'a' })).toBe(false);
  });
});
