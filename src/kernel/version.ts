/**
 * Kernel version text: `MAJOR.MINOR` (a mainline release, e.g. 5.19) or `MAJOR.MINOR.PATCH` (a
 * stable point release, e.g. 5.15.89). `X.Y` and `X.Y.0` are the same kernel. Release candidates
 * and vendor suffixes are refused with a message saying what is accepted, because the switches of
 * ./changes.ts are only known for releases.
 */
export class KernelVersionError extends Error {}

export interface KernelVersion {
  /** The text as given, trimmed (what reports print). */
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  /** The stable point release; 0 for the mainline release itself. */
  readonly patch: number;
}

/** The last minor release of each finished major series (5.19 was followed by 6.0, not 5.20). */
const LAST_MINOR: Readonly<Record<number, number>> = { 2: 6, 3: 19, 4: 20, 5: 19, 6: 19 };

export function parseKernelVersion(input: string): KernelVersion {
  const text = input.trim();
  const match = /^(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}))?$/.exec(text);
  if (!match) {
    throw new KernelVersionError(`kernel version "${input}" is not MAJOR.MINOR or MAJOR.MINOR.PATCH (e.g. 5.19, 6.1.7)`);
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const patch = match[3] === undefined ? 0 : Number(match[3]);
  const last = LAST_MINOR[major];
  if (last !== undefined && minor > last) {
    throw new KernelVersionError(`kernel version ${text} does not exist: the ${major}.x series ended with ${major}.${last}`);
  }
  return { text, major, minor, patch };
}

/** Orders two versions: negative, zero or positive (5.15.89 after 5.15, before 5.16). */
export function compareKernelVersions(a: KernelVersion, b: KernelVersion): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  return a.patch - b.patch;
}

/** "5.15" for both 5.15 and 5.15.89: the stable line a version belongs to. */
export function stableLine(version: KernelVersion): string {
  return `${version.major}.${version.minor}`;
}
