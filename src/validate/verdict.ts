/**
 * How a simulated ratio is judged against a published one.
 *
 * The band: the simulated ratio is inside when it is within ±25 % of the published ratio (the
 * project's acceptance band; the hosts differ from any model, so ratios, not absolutes, are
 * compared). The direction: a ratio above 1 says the numerator's variant is faster (or larger),
 * below 1 slower; ratios within DIRECTION_TOLERANCE of 1 are "flat" (no effect). A simulated ratio
 * whose direction is the opposite of the published one has *flipped*: the model then draws the
 * opposite conclusion, which is worse than any miss by magnitude. A published ratio that is flat
 * ("~1800K either way") has no direction to flip; there only the band counts.
 */

/** ±25 %: a simulated ratio within this fraction of the published one agrees with it. */
export const BAND = 0.25;

/** Ratios this close to 1 show no effect either way (2 %: below the run-to-run noise of short runs). */
export const DIRECTION_TOLERANCE = 0.02;

export type Direction = 'up' | 'down' | 'flat';

export function directionOf(ratio: number): Direction {
  if (ratio > 1 + DIRECTION_TOLERANCE) return 'up';
  if (ratio < 1 - DIRECTION_TOLERANCE) return 'down';
  return 'flat';
}

/** True when `simulated` says the opposite of `published` (one up, the other down). */
export function flipsDirection(simulated: number, published: number): boolean {
  const p = directionOf(published);
  const s = directionOf(simulated);
  return p !== 'flat' && s !== 'flat' && p !== s;
}

export interface Verdict {
  readonly simulated: number;
  readonly published: number;
  /** simulated / published - 1 (0.1: the model's ratio is 10 % above the published one). */
  readonly error: number;
  readonly inside: boolean;
  readonly flipped: boolean;
}

export function verdictOf(simulated: number, published: number): Verdict {
  if (!(published > 0) || !Number.isFinite(published)) throw new RangeError(`published ratio must be a positive number, got ${published}`);
  const error = simulated / published - 1;
  return { simulated, published, error, inside: Number.isFinite(error) && Math.abs(error) <= BAND + 1e-12, flipped: flipsDirection(simulated, published) };
}
