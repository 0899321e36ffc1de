/**
 * System programs some tests need beyond Node and npm: Debian's `chromium` (the report in a real
 * browser) and `redis-server` (the distributed sweep). `.ci/run` installs both, so CI runs every
 * test; on a machine without them those tests are skipped, with the reason printed above the count
 * line, and counted as skipped.
 *
 * Found on PATH. IOVASIM_HIDE_SERVICES=chromium,redis-server hides installed ones, to check the
 * "absent" path on a machine that has them.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type Service = 'chromium' | 'redis-server';

const INSTALL: Record<Service, string> = {
  chromium: "Debian's Chromium (apt-get install chromium)",
  'redis-server': 'redis-server (apt-get install redis-server)',
};

/** The absolute path of `service`'s executable, or undefined when absent or hidden. */
export function findService(service: Service): string | undefined {
  const hidden = (process.env.IOVASIM_HIDE_SERVICES ?? '').split(',').map((s) => s.trim());
  if (hidden.includes(service)) return undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, service);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The skip note for an absent service. */
export function absentNote(service: Service): string {
  return `${service} not found on PATH${process.env.IOVASIM_HIDE_SERVICES ? ' (or hidden by IOVASIM_HIDE_SERVICES)' : ''}: needs ${INSTALL[service]}; .ci/run installs it`;
}
