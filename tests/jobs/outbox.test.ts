import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outgoing } from '../../src/core/context.js';
import { quoteIdent, runOnce } from '../../src/db/engine-adapters.js';
import { writeOutbox } from '../../src/jobs/outbox.js';
import { SERVER_URL, testDatabase, type TestDatabase } from '../helpers/db.js';
import { transaction } from '../../src/db/sql.js';

describe('outbox rows', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase('outbox');
    // A server whose sessions are not in UTC (a managed PostgreSQL set to the local zone).
    const name = new URL(db.url).pathname.slice(1);
    await runOnce(SERVER_URL, `ALTER DATABASE ${quoteIdent(name)} SET timezone = 'Pacific/Auckland'`);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('are written in the order given, with their fields, sender event and a creation time that ignores the session zone', async () => {
    const messages: Outgoing[] = [
      { to: { platform: 'telegram', workspace: '', chatId: '42' }, message: { text: 'un "premier" \\ message', buttons: [[{ label: 'Fait', action: 'task.done:1' }]] }, memberId: 'm1', identityId: 'i1', communeId: 'c1' },
      { to: { platform: 'slack', workspace: 'T1', chatId: 'C9', threadId: '1700.1' }, message: { text: 'deuxième' } },
      { to: { platform: 'matrix', workspace: '', chatId: '!room:example.org' }, message: { text: 'troisième {}' } },
    ];
    const before = Date.now();
    const written = await transaction(db.prisma, (tx) => writeOutbox(tx, messages, 'telegram:77'));
    const ids = written.map((w) => w.id);
    expect(ids).toHaveLength(3);
    expect([...ids].map(BigInt).sort((a, b) => (a < b ? -1 : 1)).map(String)).toEqual(ids);
    const rows = await db.prisma.outboxMessage.findMany({ where: { id: { in: ids.map(BigInt) } }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.platform, r.workspace, r.chatId, r.threadId, r.memberId, r.identityId, r.communeId, r.sourceEventKey, r.status])).toEqual([
      ['TELEGRAM', '', '42', null, 'm1', 'i1', 'c1', 'telegram:77', 'PENDING'],
      ['SLACK', 'T1', 'C9', '1700.1', null, null, null, 'telegram:77', 'PENDING'],
      ['MATRIX', '', '!room:example.org', null, null, null, null, 'telegram:77', 'PENDING'],
    ]);
    expect(rows.map((r) => r.payload)).toEqual(messages.map((m) => m.message));
    for (const r of rows) expect(Math.abs(r.createdAt.getTime() - before)).toBeLessThan(60_000);
    // The rows as returned are the rows as stored: delivery sends fresh rows without reading them back.
    expect(written.map((w) => [w.id, w.to, w.message, w.memberId ?? null, w.identityId ?? null, w.createdAt.getTime()])).toEqual(
      rows.map((r, i) => [r.id.toString(), messages[i]!.to, r.payload, r.memberId, r.identityId, r.createdAt.getTime()]),
    );
    expect(await transaction(db.prisma, (tx) => writeOutbox(tx, []))).toEqual([]);
  });
});
