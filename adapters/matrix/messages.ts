/**
 * The few sentences the Matrix adapter says on its own (platform limits, not commands): the
 * encrypted-room explanation, the declined invite, the greetings, and the button hint. In the
 * deployment's default language.
 */

/** Languages of the adapter's sentences. */
export type MatrixLocale = 'fr' | 'en';

/** The adapter's own sentences in one language. */
export interface MatrixTexts {
  encrypted: string;
  declined: string;
  welcomeDirect: string;
  welcomeRoom: string;
  /** "Reply 1 or 2, or react ✅ ⏰". */
  hint(numbers: number[], keys: string[]): string;
}

function list(items: string[], or: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${or} ${items[items.length - 1]}`;
}

const TEXTS: Readonly<Record<MatrixLocale, MatrixTexts>> = {
  fr: {
    encrypted:
      'Ce salon est chiffré de bout en bout : sur ce serveur, Pilote ne peut pas lire les messages chiffrés, il quitte donc le salon. ' +
      'Invitez-le dans un salon sans chiffrement (pour une discussion privée : créez un salon en désactivant le chiffrement, puis invitez Pilote).',
    declined: 'Pilote ne rejoint un salon de groupe que sur l’invitation d’un membre lié à une commune.',
    welcomeDirect: 'Bonjour, je suis Pilote. Si la mairie vous a donné un code, envoyez-le ici : lier CODE. Tapez aide pour voir ce que je sais faire.',
    welcomeRoom: 'Bonjour, je suis Pilote. Tapez !aide pour voir ce que je sais faire ; le maire ou un adjoint lie ce salon à la commune avec !salon.',
    hint: (numbers, keys) => `Répondez ${list(numbers.map(String), 'ou')}, ou réagissez ${keys.join(' ')}`,
  },
  en: {
    encrypted:
      'This room is end-to-end encrypted: on this server Pilote cannot read encrypted messages, so it leaves the room. ' +
      'Invite it to a room without encryption (for a private chat: create a room with encryption turned off, then invite Pilote).',
    declined: 'Pilote only joins a group room when a member linked to a commune invites it.',
    welcomeDirect: 'Hello, I am Pilote. If the town hall gave you a code, send it here: link CODE. Type help to see what I can do.',
    welcomeRoom: 'Hello, I am Pilote. Type !help to see what I can do; the mayor or a deputy binds this room to the commune with !room.',
    hint: (numbers, keys) => `Reply ${list(numbers.map(String), 'or')}, or react ${keys.join(' ')}`,
  },
};

/** The adapter's sentences in `locale`. */
export function matrixTexts(locale: MatrixLocale): MatrixTexts {
  return TEXTS[locale];
}
