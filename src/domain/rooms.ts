/**
 * Room bindings: a group chat, Matrix room or Slack channel tied to a commune for a purpose
 * (council, agents, citizens), where announcements, convocations and the digest go.
 */
import { UserError } from '../core/errors.js';
import type { Tx } from '../db/client.js';
import type { Platform, RoomPurpose } from '../generated/prisma/enums.js';
import { Prisma, type RoomBinding } from '../generated/prisma/client.js';
import { audit } from './audit.js';
import { assertCan, type Actor } from './permissions.js';
import { queryRaw } from '../db/sql.js';

/** The room to bind, as the platform names it, and what it is for. */
export interface RoomToBind {
  platform: Platform;
  workspace: string;
  chatId: string;
  threadId?: string;
  title?: string;
  purpose: RoomPurpose;
}

/** What {@link bindRoom} did: `created`, `updated` (purpose or topic changed) or `unchanged`. */
export interface BindResult {
  room: RoomBinding;
  status: 'created' | 'updated' | 'unchanged';
  /** The purpose before, when the room was already bound. */
  previous?: RoomPurpose;
}

/**
 * Binds a room to the actor's commune for `purpose`; binding it again changes its purpose.
 * A room bound to another commune stays theirs. Direct chats are refused by the command.
 */
export async function bindRoom(db: Tx, actor: Actor, input: RoomToBind): Promise<BindResult> {
  assertCan(actor, 'room.bind');
  const key = { platform: input.platform, workspace: input.workspace, chatId: input.chatId };
  await queryRaw(db, Prisma.sql`SELECT 1 FROM "RoomBinding" WHERE "platform" = ${input.platform}::"Platform" AND "workspace" = ${input.workspace} AND "chatId" = ${input.chatId} FOR UPDATE`);
  const existing = await db.roomBinding.findUnique({ where: { platform_workspace_chatId: key } });
  const threadId = input.threadId ?? null;
  const title = input.title ?? existing?.title ?? null;
  if (!existing) {
    const room = await db.roomBinding.create({
      data: { ...key, communeId: actor.communeId, threadId, title, purpose: input.purpose, createdById: actor.memberId },
    });
    await audit(db, actor, { action: 'room.bind', entityType: 'room', entityId: room.id, after: { purpose: room.purpose, platform: room.platform } });
    return { room, status: 'created' };
  }
  if (existing.communeId !== actor.communeId) throw new UserError('E_ROOM_TAKEN', 'rooms.otherCommune');
  const previous = existing.purpose;
  if (previous === input.purpose && existing.threadId === threadId && existing.title === title && !existing.unreachableAt) {
    return { room: existing, status: 'unchanged', previous };
  }
  const room = await db.roomBinding.update({
    where: { id: existing.id },
    data: { purpose: input.purpose, threadId, title, unreachableAt: null },
  });
  await audit(db, actor, {
    action: 'room.bind',
    entityType: 'room',
    entityId: room.id,
    before: { purpose: previous, threadId: existing.threadId },
    after: { purpose: room.purpose, threadId: room.threadId },
  });
  return { room, status: 'updated', previous };
}

/** The rooms bound to a commune, by purpose then age. */
export async function listRooms(db: Tx, communeId: string): Promise<RoomBinding[]> {
  return db.roomBinding.findMany({ where: { communeId }, orderBy: [{ purpose: 'asc' }, { createdAt: 'asc' }] });
}
