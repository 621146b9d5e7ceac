import { defineMessages } from '../define.js';

/** Messages of the rooms commands. */
export const rooms = defineMessages({
  fr: {
    'cmd.salon.summary': 'faire de ce groupe le salon du conseil, des agents ou des citoyens',
    'cmd.salon.usage': '/salon [conseil|agents|citoyens] — ex. : /salon conseil (à taper dans le groupe)',
    'rooms.purpose.COUNCIL': 'du conseil',
    'rooms.purpose.AGENTS': 'des agents',
    'rooms.purpose.CITIZENS': 'des citoyens',
    'rooms.use.COUNCIL': 'J’y posterai les annonces, les convocations et le résumé du jour.',
    'rooms.use.AGENTS': 'J’y posterai ce qui concerne les agents de la mairie.',
    'rooms.use.CITIZENS': 'J’y posterai les annonces destinées aux habitants.',
    'rooms.badPurpose': 'Je ne connais pas « {purpose} ».',
    'rooms.direct': 'Cette commande se tape dans un groupe (ou un salon) où je suis, pas en message privé : ajoutez-moi au groupe puis tapez /salon conseil.',
    'rooms.bound': '📌 Ce salon est maintenant le salon *{purpose}* de {commune}.\n{use}',
    'rooms.rebound': '📌 Ce salon n’est plus le salon {previous} : c’est maintenant le salon *{purpose}* de {commune}.\n{use}',
    'rooms.unchanged': 'Ce salon est déjà le salon *{purpose}* de {commune} 🙂',
    'rooms.otherCommune': 'Ce salon est déjà lié à une autre commune ; je ne peux pas le reprendre. Demandez à ses élus de le libérer, ou créez un autre groupe.',
  },
  en: {
    'cmd.salon.summary': 'make this group the council, agents or citizens room',
    'cmd.salon.usage': '/room [council|agents|citizens] — e.g. /room council (type it in the group)',
    'rooms.purpose.COUNCIL': 'council',
    'rooms.purpose.AGENTS': 'agents',
    'rooms.purpose.CITIZENS': 'citizens',
    'rooms.use.COUNCIL': 'I will post announcements, meeting notices and the daily digest here.',
    'rooms.use.AGENTS': 'I will post what concerns the town-hall staff here.',
    'rooms.use.CITIZENS': 'I will post announcements for residents here.',
    'rooms.badPurpose': 'I do not know “{purpose}”.',
    'rooms.direct': 'This command is for a group (or room) I am in, not a private chat: add me to the group, then type /room council.',
    'rooms.bound': '📌 This is now the *{purpose}* room of {commune}.\n{use}',
    'rooms.rebound': '📌 This is no longer the {previous} room: it is now the *{purpose}* room of {commune}.\n{use}',
    'rooms.unchanged': 'This is already the *{purpose}* room of {commune} 🙂',
    'rooms.otherCommune': 'This room is already linked to another commune; I cannot take it over. Ask its councillors to release it, or create another group.',
  },
});
