/** Every command family registered on one router. */
import { Router } from '../core/router.js';
import { helpCommands } from './help.js';
import { membersButtons, membersCommands } from './members.js';
import { projectsButtons, projectsCommands } from './projects.js';
import { roomsButtons, roomsCommands } from './rooms.js';
import { taskButtons, taskCommands } from './tasks.js';
import { dashboardCommands } from './dashboard.js';
import { reminderButtons, reminderCommands } from './reminders.js';
import { digestCommands } from './digest.js';
import { meetingButtons, meetingCommands } from './meetings.js';
import { pollButtons, pollCommands } from './polls.js';

/** Builds the router with every command and button of Pilote. */
export function buildRouter(): Router {
  const router = new Router();
  router.command(...helpCommands(router), ...membersCommands, ...taskCommands, ...dashboardCommands, ...meetingCommands, ...pollCommands, ...reminderCommands, ...digestCommands, ...projectsCommands, ...roomsCommands);
  router.button(...taskButtons, ...meetingButtons, ...pollButtons, ...reminderButtons, ...membersButtons, ...projectsButtons, ...roomsButtons);
  return router;
}
