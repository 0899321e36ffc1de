// The user-facing errors live in src/errors.ts so the library can throw them without importing the
// CLI; this re-export keeps `../errors.js` imports inside src/cli/ working.
export { UserError, UsageError } from '../errors.js';
