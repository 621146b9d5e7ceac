/**
 * Invites by the rules of SPEC section 3: a direct chat is accepted from anyone (so a newcomer
 * can link), a group room only from a linked member (asked to the core) or a user of an
 * allow-listed homeserver; an encrypted room gets a short plain explanation and a leave.
 */
import { escapeMarkup } from '../../src/core/format.js';
import { describe, errcodeOf, statusOf } from './errors.js';
import { serverOf, type MatrixEvent } from './inbound.js';
import type { ReceiverDeps } from './receiver.js';
import { noticeContent } from './render.js';

/** What the invite rules need (a part of the receiver's dependencies). */
export type InviteDeps = Pick<ReceiverDeps, 'client' | 'userId' | 'workspace' | 'direct' | 'botMessages' | 'isLinkedUser' | 'allowedServers' | 'texts' | 'log'>;

/** Answers the bot's invites; see the module comment. */
export class Invites {
  private readonly d: InviteDeps;
  /** Encrypted rooms told why the bot leaves, until the leave went through. */
  private readonly explained = new Set<string>();

  constructor(deps: InviteDeps) {
    this.d = deps;
  }

  /** Handles an invite, given the room's stripped state (`invite_state`). */
  async onInvite(roomId: string, inviteState: MatrixEvent[]): Promise<void> {
    const me = this.d.userId;
    const mine = inviteState.find((e) => e.type === 'm.room.member' && e.state_key === me && e.content?.membership === 'invite');
    if (!mine) return;
    const inviter = mine.sender;
    if (inviteState.some((e) => e.type === 'm.room.encryption')) {
      this.d.log.info({ roomId, inviter }, 'invited to an encrypted matrix room: explaining and leaving');
      await this.explainAndLeave(roomId, true);
      return;
    }
    const direct = mine.content.is_direct === true;
    if (!direct && !(await this.mayInvite(inviter))) {
      this.d.log.info({ roomId, inviter }, 'matrix room invite declined: the inviter is not a linked member');
      await this.d.client.leaveRoom(roomId, this.d.texts.declined);
      return;
    }
    await this.d.client.joinRoom(roomId);
    if (direct) await this.d.direct.add(roomId);
    // The invite's state may not show the encryption (the server chooses what it shares).
    if (await this.isEncrypted(roomId)) {
      await this.explainAndLeave(roomId, false);
      return;
    }
    this.d.log.info({ roomId, inviter, direct }, 'joined a matrix room');
    await this.say(roomId, direct ? this.d.texts.welcomeDirect : this.d.texts.welcomeRoom);
  }

  /** Group rooms: a user of an allow-listed homeserver, or a member linked on this homeserver. */
  private async mayInvite(inviter: string): Promise<boolean> {
    if (this.d.allowedServers.includes(serverOf(inviter))) return true;
    return (await this.d.isLinkedUser?.('matrix', this.d.workspace, inviter)) ?? false;
  }

  private async isEncrypted(roomId: string): Promise<boolean> {
    try {
      await this.d.client.getRoomStateEvent(roomId, 'm.room.encryption', '');
      return true;
    } catch (err) {
      if (errcodeOf(err) === 'M_NOT_FOUND' || statusOf(err) === 404) return false;
      throw err;
    }
  }

  /**
   * Says in plain words why the bot cannot stay in an encrypted room, then leaves it (joining
   * first when only invited). When the leave must be retried, the explanation is not repeated.
   */
  async explainAndLeave(roomId: string, join: boolean): Promise<void> {
    if (!this.explained.has(roomId)) {
      try {
        if (join) await this.d.client.joinRoom(roomId);
        await this.say(roomId, this.d.texts.encrypted);
      } catch (err) {
        this.d.log.warn({ roomId, err: describe(err) }, 'could not explain the encrypted-room limit');
      }
      this.explained.add(roomId);
    }
    await this.d.client.leaveRoom(roomId, this.d.texts.encrypted);
    this.explained.delete(roomId);
  }

  private async say(roomId: string, text: string): Promise<void> {
    const content = noticeContent(escapeMarkup(text));
    const eventId = await this.d.client.sendMessage(roomId, content);
    this.d.botMessages.remember(eventId, []);
  }
}
