/**
 * The contract between a simulated job thread and the workload that drives it: a closed-loop I/O
 * source. The simulator's job thread (fio's "thread") asks its source for the next I/O each time it
 * may issue one (it has fewer than `iodepth` in flight); the source decides what the I/O is (offset,
 * size, direction) and when it may be issued at the earliest (rate limits, thinktime), as fio's
 * td_io_queue loop does. Sources are deterministic for a seed and allocate nothing per I/O: the
 * caller owns one `NextIo` slot per thread and the source fills it.
 */

/** One I/O, filled in by a source. */
export interface NextIo {
  /** Byte offset on the job's device. */
  offsetBytes: number;
  /** Length in bytes (a multiple of the device's logical block size unless the job says otherwise). */
  lengthBytes: number;
  /** true for a write, false for a read. */
  write: boolean;
}

/** What `ClosedLoopIoSource.next` returns when the thread has no more I/O to issue (number_ios, io_size, verify done). */
export const IO_SOURCE_DONE = -1;

/**
 * What `ClosedLoopIoSource.next` returns when the thread may not issue yet and the source cannot
 * say until when (fio's stonewall and wait_for: until other threads have finished). The thread
 * sleeps, issuing nothing, until the source calls the `wake` function it was given through
 * `attachWake`; then it asks again. A source that returns this must implement `attachWake`.
 */
export const IO_SOURCE_BLOCKED = -2;

export interface ClosedLoopIoSource {
  /**
   * Fills `io` with the thread's next I/O and returns the earliest simulated time (ns) at which it
   * may be issued: `nowNs` when nothing holds it back, later under rate limits or thinktime, or
   * IO_SOURCE_DONE when the thread has finished (then `io` is left unchanged).
   * `nowNs` is the simulated time at which the thread is ready to issue; it never decreases between
   * calls of one source.
   */
  next(io: NextIo, nowNs: number): number;
  /** Tells the source an I/O it issued has completed (for sources whose pacing depends on completions, e.g. thinktime after N blocks, rate windows); optional. */
  completed?(io: NextIo, nowNs: number): void;
  /**
   * Called once by the simulator before the run with the function that wakes this thread after
   * `next()` returned IO_SOURCE_BLOCKED: `wake(nowNs)` makes it ask again at `nowNs` (not before
   * the simulated instant of the call that wakes it). Optional.
   */
  attachWake?(wake: (nowNs: number) => void): void;
}
