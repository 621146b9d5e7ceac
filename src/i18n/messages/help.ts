import { defineMessages } from '../define.js';

/** Messages of `aide`. */
export const help = defineMessages({
  fr: {
    'cmd.aide.summary': 'la liste des commandes, ou l’aide d’une commande',
    'cmd.aide.usage': '/aide [commande] — ex. : /aide tache',
    'help.title': '🧭 *Pilote* — ce que je sais faire :',
    'help.line': '/{name} — {summary}',
    'help.footer': 'Détail d’une commande : /aide <commande> (ex. : /aide tache). Les commandes marchent aussi en anglais.',
    'help.notLinked': 'Pour commencer, liez votre compte avec le code reçu de la mairie : /lier CODE',
    'help.command': '*/{name}* — {summary}\n{usage}',
    'help.aliases': 'Autres noms : {aliases}',
  },
  en: {
    'cmd.aide.summary': 'the list of commands, or help on one command',
    'cmd.aide.usage': '/help [command] — e.g. /help task',
    'help.title': '🧭 *Pilote* — what I can do:',
    'help.line': '/{name} — {summary}',
    'help.footer': 'Details of a command: /help <command> (e.g. /help task). Commands also work in French.',
    'help.notLinked': 'To start, link your account with the code the town hall gave you: /link CODE',
    'help.command': '*/{name}* — {summary}\n{usage}',
    'help.aliases': 'Other names: {aliases}',
  },
});
