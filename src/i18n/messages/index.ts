/** Every family's messages merged into the fr and en catalogues. */
import { core } from './core.js';
import { help } from './help.js';
import { meetings } from './meetings.js';
import { members } from './members.js';
import { polls } from './polls.js';
import { projects } from './projects.js';
import { reminders } from './reminders.js';
import { rooms } from './rooms.js';
import { tasks } from './tasks.js';

const families = [core, help, tasks, members, rooms, projects, reminders, meetings, polls] as const;

type Merge<T extends readonly { fr: object }[]> = T extends readonly [infer H extends { fr: object }, ...infer R extends { fr: object }[]]
  ? H['fr'] & Merge<R>
  : unknown;

/** The merged catalogues; keys are checked to be the same in both languages per family. */
export const catalogue = {
  fr: Object.assign({}, ...families.map((f) => f.fr)) as Merge<typeof families>,
  en: Object.assign({}, ...families.map((f) => f.en)) as Merge<typeof families>,
};
