/**
 * A full garbage collection for benchmarks: run before each timed section, so that one allocator's
 * garbage is not collected on another's time, and around memory readings. Uses global.gc when node
 * runs with --expose-gc, else enables it at run time (V8's flag, then a fresh context's `gc`); does
 * nothing if neither works.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

function findGarbageCollector(): (() => void) | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const found = runInNewContext('gc') as unknown;
    return typeof found === 'function' ? (found as () => void) : null;
  } catch {
    return null;
  }
}

/** Collects garbage; false when no collector could be reached (memory readings are then rough). */
export function collectGarbage(): boolean {
  if (gc === undefined) gc = findGarbageCollector();
  if (gc === null) return false;
  gc();
  return true;
}
