// V8 settings of every Pilote process, applied before anything else is loaded: the `pilote`
// command (bin/pilote.js, which `npm start` and `npm run demo` run too) imports this module
// first, and so does the bench's app child, which runs as the deployed process does. Node
// refuses these flags in NODE_OPTIONS, hence a module rather than the Dockerfile's environment.
//
// --no-allocation-site-pretenuring: by default V8 watches each place in the code that builds
// object and array literals, and once most of what one builds outlives a young-generation
// collection, it builds them straight into the old generation. Under command load that happened
// to short-lived objects (Prisma's transaction client, among others), and whatever they pointed
// to was then kept until the next full collection: about a third of what the process promoted
// to the old generation, and up to twice as many mark-compacts, during which the slowest
// commands wait (docs/performance.md, ninth round).
import v8 from 'node:v8';

/** The V8 flags a Pilote process runs with, in the order they are set. */
export const V8_FLAGS = ['--no-allocation-site-pretenuring'];

for (const flag of V8_FLAGS) v8.setFlagsFromString(flag);
