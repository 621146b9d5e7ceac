/** Catalogue helpers: each command family keeps its French and English messages side by side. */

/** The languages Pilote speaks. French is canonical. */
export type Locale = 'fr' | 'en';

/** Every locale, French first. */
export const LOCALES: readonly Locale[] = ['fr', 'en'];

/** Declares a family's messages; the type system makes `en` carry exactly the keys of `fr`. */
export function defineMessages<K extends string>(m: { fr: Record<K, string>; en: Record<NoInfer<K>, string> }) {
  return m;
}

/** Turns any locale-ish string (`fr-FR`, `en_GB`, `EN`) into a supported locale, or undefined. */
export function toLocale(s: string | undefined | null): Locale | undefined {
  const base = s?.trim().toLowerCase().slice(0, 2);
  return base === 'fr' || base === 'en' ? base : undefined;
}
