/**
 * The `pilote` command (SPEC section 5): start, migrate, demo, commune add, invite, seed-demo.
 * Errors go to stderr in one line with a non-zero exit.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.js';
import { UserError } from './core/errors.js';
import { toPlain } from './core/format.js';
import { createPrisma, type PrismaClient } from './db/client.js';
import { applyMigrations, createMigration } from './db/migrate.js';
import { seedDemo } from './db/seed.js';
import { createCommune } from './domain/communes.js';
import { createInvitation } from './domain/members.js';
import { parseRole } from './domain/roles.js';
import { t } from './i18n/index.js';
import { transaction } from './db/sql.js';

/** Thrown for a CLI misuse; printed as is. */
class CliError extends Error {}

function databaseUrl(config: Config): string {
  if (!config.DATABASE_URL) throw new CliError('DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/pilote)');
  return config.DATABASE_URL;
}

async function withPrisma<T>(config: Config, fn: (prisma: PrismaClient) => Promise<T>): Promise<T> {
  const prisma = createPrisma(databaseUrl(config), { max: 2 });
  try {
    return await fn(prisma);
  } finally {
    await prisma.$disconnect();
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

/** Builds the CLI program. */
function program(): Command {
  const cli = new Command('pilote')
    .description('Pilote: the chat bot of small French communes (Telegram, Matrix, Slack)')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

  cli
    .command('start')
    .description('start the bot: adapters, workers and schedulers according to the role')
    .addOption(new Option('--role <role>', 'what this process runs').choices(['all', 'web', 'worker', 'scheduler']).default('all'))
    .action(async (opts: { role: 'all' | 'web' | 'worker' | 'scheduler' }) => {
      const { start } = await import('./main.js');
      await start(loadConfig(), opts.role);
    });

  cli
    .command('migrate')
    .description('apply the database migrations (idempotent); --create makes a new one from prisma/schema.prisma')
    .option('--create <name>', 'create a migration named <name> from the schema changes (developers)')
    .action(async (opts: { create?: string }) => {
      const url = databaseUrl(loadConfig());
      if (opts.create) {
        const dir = await createMigration(url, opts.create);
        process.stdout.write(dir ? `created ${dir}\n` : 'no schema change: no migration created\n');
        return;
      }
      const { applied } = await applyMigrations(url, { log: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database is up to date\n');
    });

  cli
    .command('demo')
    .description('chat with the demo commune in this terminal as its mayor (console adapter, no account needed)')
    .action(async () => {
      const { runDemo } = await import('./demo/run.js');
      process.exitCode = await runDemo(process.env, { input: process.stdin, output: process.stdout, error: process.stderr });
    });

  const commune = cli.command('commune').description('manage communes');
  commune
    .command('add')
    .description('create a commune')
    .requiredOption('--name <name>', 'name of the commune, e.g. "Saint-Pilote"')
    .requiredOption('--insee <code>', 'INSEE code, 5 characters, e.g. 01004 or 2A004')
    .option('--population <n>', 'number of inhabitants', positiveInt)
    .option('--timezone <zone>', 'IANA time zone', 'Europe/Paris')
    .option('--locale <locale>', 'default language (fr or en)', 'fr')
    .option('--epci-name <name>', 'intercommunality the commune belongs to')
    .option('--epci-siren <siren>', 'SIREN of that intercommunality (9 digits)')
    .action(async (opts: { name: string; insee: string; population?: number; timezone: string; locale: string; epciName?: string; epciSiren?: string }) => {
      if (Boolean(opts.epciName) !== Boolean(opts.epciSiren)) throw new CliError('give both --epci-name and --epci-siren, or neither');
      if (opts.epciSiren && !/^\d{9}$/.test(opts.epciSiren)) throw new CliError('--epci-siren must be 9 digits');
      if (opts.locale !== 'fr' && opts.locale !== 'en') throw new CliError('--locale must be fr or en');
      const created = await withPrisma(loadConfig(), (prisma) =>
        transaction(prisma, (db) =>
          createCommune(db, {
            name: opts.name,
            insee: opts.insee,
            timezone: opts.timezone,
            locale: opts.locale as 'fr' | 'en',
            ...(opts.population !== undefined ? { population: opts.population } : {}),
            ...(opts.epciName && opts.epciSiren ? { intercommunality: { name: opts.epciName, siren: opts.epciSiren } } : {}),
          }),
        ),
      );
      process.stdout.write(`${created.name} (${created.insee}) created, time zone ${created.timezone}\n`);
    });

  cli
    .command('invite')
    .description('make a single-use invitation code (valid 7 days); prints the code alone')
    .requiredOption('--commune <insee>', 'INSEE code of the commune')
    .requiredOption('--role <role>', 'maire, adjoint, conseiller, agent or citoyen')
    .option('--name <name>', 'name of the person invited')
    .action(async (opts: { commune: string; role: string; name?: string }) => {
      const role = parseRole(opts.role);
      if (!role) throw new CliError(`unknown role "${opts.role}": use maire, adjoint, conseiller, agent or citoyen`);
      const code = await withPrisma(loadConfig(), async (prisma) => {
        const found = await prisma.commune.findUnique({ where: { insee: opts.commune.toUpperCase() } });
        if (!found) throw new UserError('E_NOT_FOUND', 'commune.notFound', { insee: opts.commune });
        return transaction(prisma, (db) =>
          createInvitation(db, null, { communeId: found.id, role, now: new Date(), ...(opts.name ? { name: opts.name } : {}) }),
        );
      });
      process.stdout.write(`${code.code}\n`);
    });

  cli
    .command('seed-demo')
    .description('create the demo commune Saint-Pilote with its members, a project and tasks')
    .option('--insee <code>', 'INSEE code to give the demo commune', '99001')
    .action(async (opts: { insee: string }) => {
      const demo = await withPrisma(loadConfig(), (prisma) => seedDemo(prisma, { insee: opts.insee }));
      process.stdout.write(`demo commune ready: Saint-Pilote (${demo.insee}), ${Object.keys(demo.members).length} members\n`);
    });

  return cli;
}

/** Prints an error the way the CLI promises: one clear line (or one per bad variable). */
function report(err: unknown): void {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else if (err instanceof UserError) process.stderr.write(`${toPlain(t('fr', err.key as never, err.params))}\n`);
  else if (err instanceof CliError) process.stderr.write(`pilote: ${err.message}\n`);
  else process.stderr.write(`pilote: ${(err as Error)?.message ?? String(err)}\n`);
}

program()
  .parseAsync(process.argv)
  .catch((err) => {
    report(err);
    process.exit(1);
  });
