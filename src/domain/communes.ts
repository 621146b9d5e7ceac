/** Communes: creation from the CLI, with validation of the INSEE code and the time zone. */
import { UserError } from '../core/errors.js';
import type { Tx } from '../db/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { isValidZone } from '../time/index.js';
import { audit } from './audit.js';

/** INSEE commune code: 5 characters, digits, or 2A/2B + 3 digits for Corsica. */
export const INSEE_PATTERN = /^(?:\d{5}|2[AB]\d{3})$/;

/** Input of {@link createCommune}. */
export interface NewCommune {
  name: string;
  insee: string;
  population?: number;
  timezone?: string;
  locale?: 'fr' | 'en';
  intercommunality?: { name: string; siren: string };
}

/**
 * SQL that locks the communes whose ids the subquery `ids` yields, in id order, until the
 * transaction ends (`FOR NO KEY UPDATE`, what moving a commune's counters takes). Statements that
 * lock several communes take them through it, in the same order, so they cannot deadlock on them.
 */
export function lockCommunes(ids: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`SELECT c."id" FROM "Commune" c WHERE c."id" IN (${ids}) ORDER BY c."id" FOR NO KEY UPDATE`;
}

/** Creates a commune (from the CLI: no actor), with its audit row. */
export async function createCommune(db: Tx, input: NewCommune) {
  const insee = input.insee.trim().toUpperCase();
  if (!input.name.trim()) throw new UserError('E_INVALID', 'commune.badName');
  if (!INSEE_PATTERN.test(insee)) throw new UserError('E_INVALID', 'commune.badInsee', { insee: input.insee });
  const timezone = input.timezone ?? 'Europe/Paris';
  if (!isValidZone(timezone)) throw new UserError('E_INVALID', 'commune.badZone', { zone: timezone });
  if (input.population !== undefined && (!Number.isInteger(input.population) || input.population < 0)) {
    throw new UserError('E_INVALID', 'commune.badPopulation');
  }
  if (await db.commune.findUnique({ where: { insee } })) throw new UserError('E_EXISTS', 'commune.exists', { insee });
  const epci = input.intercommunality
    ? await db.intercommunality.upsert({ where: { siren: input.intercommunality.siren }, create: input.intercommunality, update: {} })
    : undefined;
  const commune = await db.commune.create({
    data: {
      name: input.name.trim(),
      insee,
      population: input.population ?? null,
      timezone,
      locale: input.locale ?? 'fr',
      intercommunalityId: epci?.id ?? null,
    },
  });
  await audit(db, null, { action: 'commune.create', entityType: 'commune', entityId: commune.id, after: { name: commune.name, insee, timezone } }, commune.id);
  return commune;
}
