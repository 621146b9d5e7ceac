/**
 * What adapters may ask of the database, behind the core's small interfaces: the `AdapterState`
 * key/value table (Matrix sync token, filter, login token) and whether an account is linked.
 * The client is passed as a getter because adapters are built before the process connects.
 */
import { dbPlatform } from '../core/context.js';
import type { AdapterStore, LinkedUserCheck } from '../core/types.js';
import type { PrismaClient } from './client.js';

/** An {@link AdapterStore} over the `AdapterState` table. */
export function prismaAdapterStore(prisma: () => PrismaClient): AdapterStore {
  return {
    async get(key) {
      const row = await prisma().adapterState.findUnique({ where: { key } });
      return row?.value;
    },
    async set(key, value) {
      await prisma().adapterState.upsert({ where: { key }, create: { key, value }, update: { value } });
    },
  };
}

/** A {@link LinkedUserCheck}: true when the account belongs to a member who was not erased. */
export function prismaLinkedUserCheck(prisma: () => PrismaClient): LinkedUserCheck {
  return async (platform, workspace, userId) => {
    const identity = await prisma().chatIdentity.findUnique({
      where: { platform_workspace_userId: { platform: dbPlatform(platform), workspace, userId } },
      select: { member: { select: { erasedAt: true } } },
    });
    return Boolean(identity && !identity.member.erasedAt);
  };
}
