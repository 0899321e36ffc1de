/**
 * The measured window of a run: a job run simulates `durationMs` and counts only what completes
 * after the first `warmupMs` (the rcache fills, the depots settle, the domain is aged at the end of
 * the warm-up); a trace replay has no warm-up and measures from its first record to its last
 * completion.
 *
 * When a run's length is set without its warm-up (`--duration`, or a fio job's runtime without
 * ramp_time), the warm-up is the scenario's own but never more than a quarter of the run:
 * min(warm-up, duration / 4). The measured time, duration - min(warm-up, duration / 4) =
 * max(duration - warm-up, 3/4 duration), then never falls as the duration grows (the older rule kept
 * the whole warm-up as soon as it fitted, so 160 ms measured 10 ms where 150 ms measured 113).
 */

/** The warm-up of a run of `durationMs` whose scenario asks for `preferredWarmupMs`. */
export function warmupForDuration(durationMs: number, preferredWarmupMs: number): number {
  return Math.min(preferredWarmupMs, durationMs / 4);
}

/** "measured 150 ms after a 50 ms warm-up" (or "measured … from the first record to the last completion"). */
export function measuredWindowText(window: { readonly measuredMs: number; readonly warmupMs: number; readonly replay?: boolean }): string {
  const ms = (v: number): string => `${Number(v.toFixed(v >= 100 ? 0 : 2))} ms`;
  if (window.replay === true) return `measured ${ms(window.measuredMs)}, from the first record to the last completion (no warm-up)`;
  return window.warmupMs > 0 ? `measured ${ms(window.measuredMs)} after a ${ms(window.warmupMs)} warm-up` : `measured ${ms(window.measuredMs)} (no warm-up)`;
}
