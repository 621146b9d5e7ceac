/** Text helpers shared by the router, the parsers and @mention matching. */

/** Lower-cases and strips accents: `Tâche` → `tache`, `Écoles` → `ecoles`. */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** Splits on whitespace, dropping empty pieces. */
export function words(s: string): string[] {
  return s.trim().split(/\s+/u).filter(Boolean);
}
