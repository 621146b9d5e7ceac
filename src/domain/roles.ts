/** Role names as people type them, in French (with feminine forms) and English. */
import { fold } from '../core/text.js';
import type { Role } from '../generated/prisma/enums.js';

const NAMES: Record<string, Role> = {
  maire: 'MAYOR', mayor: 'MAYOR',
  adjoint: 'DEPUTY', adjointe: 'DEPUTY', deputy: 'DEPUTY',
  conseiller: 'COUNCILLOR', conseillere: 'COUNCILLOR', councillor: 'COUNCILLOR', councilor: 'COUNCILLOR', elu: 'COUNCILLOR', elue: 'COUNCILLOR',
  agent: 'AGENT', secretaire: 'AGENT', secretary: 'AGENT',
  citoyen: 'CITIZEN', citoyenne: 'CITIZEN', citizen: 'CITIZEN', habitant: 'CITIZEN', habitante: 'CITIZEN',
};

/** The role a typed word names (`Conseillère` → COUNCILLOR), if any. */
export function parseRole(word: string): Role | undefined {
  return NAMES[fold(word.trim())];
}

/** The French (canonical) name of each role, as the CLI shows and accepts it. */
export const ROLE_FR: Record<Role, string> = {
  MAYOR: 'maire',
  DEPUTY: 'adjoint',
  COUNCILLOR: 'conseiller',
  AGENT: 'agent',
  CITIZEN: 'citoyen',
};
