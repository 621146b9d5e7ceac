/**
 * Messages in French and English. Templates use `{name}` placeholders; string values are
 * escaped for the outbound markup unless wrapped with {@link raw}.
 */
import { escapeMarkup } from '../core/format.js';
import { type Locale } from './define.js';
import { catalogue } from './messages/index.js';

export { type Locale, LOCALES, toLocale } from './define.js';

/** A message key that exists in both catalogues. */
export type MessageKey = keyof (typeof catalogue)['fr'];

/** A value already in markup (not escaped when interpolated). */
export interface Raw {
  raw: string;
}

/** Marks a value as markup so {@link t} inserts it as is. */
export function raw(s: string): Raw {
  return { raw: s };
}

/** A template parameter. */
export type Param = string | number | Raw;

/** Whether `key` names a message. */
export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(catalogue.fr, key);
}

/** Renders message `key` in `locale` with `params`. */
export function t(locale: Locale, key: MessageKey, params: Record<string, Param> = {}): string {
  const template: string = catalogue[locale][key] ?? catalogue.fr[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    if (v === undefined) return whole;
    if (typeof v === 'object') return v.raw;
    return typeof v === 'number' ? String(v) : escapeMarkup(v);
  });
}

/** A translator bound to one locale. */
export type Translate = (key: MessageKey, params?: Record<string, Param>) => string;

/** Binds {@link t} to a locale. */
export function translator(locale: Locale): Translate {
  return (key, params) => t(locale, key, params);
}
