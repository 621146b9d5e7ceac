import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { testDatabase } from '../helpers/db.js';

const ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

describe('pilote CLI', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  const emptyDb = `pilote_cli_empty_${process.pid}`;
  beforeAll(async () => {
    db = await testDatabase('cli');
  });
  afterAll(async () => {
    await db?.drop();
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${emptyDb} WITH (FORCE)`);
    await admin.end();
  });

  it('has --help on every command', async () => {
    for (const args of [['--help'], ['start', '--help'], ['migrate', '--help'], ['demo', '--help'], ['commune', 'add', '--help'], ['invite', '--help'], ['seed-demo', '--help']]) {
      const run = await runCli(args, {});
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toContain('Usage: pilote');
    }
  });

  it('migrates an empty database, then finds nothing to do', async () => {
    const url = `postgresql://postgres@127.0.0.1:5432/${emptyDb}`;
    const first = await runCli(['migrate'], { DATABASE_URL: url });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/applied \d+ migration\(s\)/);
    const second = await runCli(['migrate'], { DATABASE_URL: url });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('database is up to date');
  });

  it('adds a commune and makes a single-use invitation code printed alone', async () => {
    const env = { DATABASE_URL: db.url };
    const add = await runCli(['commune', 'add', '--name', 'Ajaccio', '--insee', '2A004', '--population', '70000', '--timezone', 'Europe/Paris'], env);
    expect(add.code, add.stderr).toBe(0);
    const commune = await db.prisma.commune.findUniqueOrThrow({ where: { insee: '2A004' } });
    expect(commune.population).toBe(70000);
    expect(await db.prisma.auditEvent.count({ where: { communeId: commune.id, action: 'commune.create' } })).toBe(1);

    const invite = await runCli(['invite', '--commune', '2A004', '--role', 'conseillère', '--name', 'Anna Rossi'], env);
    expect(invite.code, invite.stderr).toBe(0);
    expect(invite.stdout).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}\n$/);
    const code = invite.stdout.trim();
    const stored = await db.prisma.invitation.findFirstOrThrow({ where: { communeId: commune.id } });
    expect(stored.role).toBe('COUNCILLOR');
    expect(stored.codeHash).not.toContain(code.replace('-', ''));
    expect(stored.codeHash).toBe(createHash('sha256').update(code.replace('-', '')).digest('hex'));
  });

  it('refuses bad input on stderr with a non-zero exit', async () => {
    const env = { DATABASE_URL: db.url };
    const badInsee = await runCli(['commune', 'add', '--name', 'X', '--insee', '1234'], env);
    expect(badInsee.code).not.toBe(0);
    expect(badInsee.stderr).toContain('Code INSEE invalide');
    const badZone = await runCli(['commune', 'add', '--name', 'X', '--insee', '12345', '--timezone', 'Mars/Olympus'], env);
    expect(badZone.stderr).toContain('Fuseau horaire inconnu');
    const noCommune = await runCli(['invite', '--commune', '99999', '--role', 'agent'], env);
    expect(noCommune.code).not.toBe(0);
    expect(noCommune.stderr).toContain('Aucune commune avec le code INSEE 99999');
    expect(noCommune.stdout).toBe('');
    const badRole = await runCli(['invite', '--commune', '2A004', '--role', 'pape'], env);
    expect(badRole.stderr).toContain('unknown role');
    const noDb = await runCli(['migrate'], {});
    expect(noDb.stderr).toContain('DATABASE_URL is not set');
    const badEnv = await runCli(['start'], { DATABASE_URL: db.url, HTTP_PORT: 'many' });
    expect(badEnv.code).not.toBe(0);
    expect(badEnv.stderr).toContain('HTTP_PORT');
  });
});
