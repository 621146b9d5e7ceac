/** The audit trail (SPEC section 1): one row per change, written in the change's transaction. */
import type { Tx } from '../db/client.js';
import type { Actor } from './permissions.js';

/** What changed. `before`/`after` hold the fields that matter to a citizen reading the trace. */
export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string;
  before?: unknown;
  after?: unknown;
}

/** Writes an audit row for `actor` (null for the system or the CLI) in transaction `db`. */
export async function audit(db: Tx, actor: Actor | null, entry: AuditEntry, communeId = actor?.communeId): Promise<void> {
  await db.auditEvent.create({
    data: {
      communeId: communeId ?? null,
      actorId: actor?.memberId ?? null,
      platform: actor?.platform ?? null,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId ?? null,
      before: entry.before === undefined ? undefined : JSON.parse(JSON.stringify(entry.before)),
      after: entry.after === undefined ? undefined : JSON.parse(JSON.stringify(entry.after)),
    },
  });
}
