/**
 * The I/O source a scenario's job thread uses unless the caller supplies another: fio's plain job —
 * fixed `bs`, sequential (wrapping at `size`) or uniformly random `bs`-aligned offsets over `size`,
 * all reads or all writes, issued as soon as the thread has a free slot (no rate, no thinktime).
 */
import { IO_SOURCE_DONE, type ClosedLoopIoSource, type NextIo } from '../workloads/io-source.js';
import { Mulberry32 } from '../workloads/random.js';
import type { JobSpec } from './scenario.js';

export { IO_SOURCE_DONE };

export class JobIoSource implements ClosedLoopIoSource {
  private offset = 0;
  private readonly random: boolean;
  private readonly write: boolean;
  private readonly blocks: number;
  private readonly rng: Mulberry32;

  constructor(
    private readonly job: JobSpec,
    seed: number,
  ) {
    this.random = job.rw === 'randread' || job.rw === 'randwrite';
    this.write = job.rw === 'write' || job.rw === 'randwrite';
    this.blocks = Math.max(1, Math.floor(job.sizeBytes / job.bs));
    this.rng = new Mulberry32(seed);
  }

  next(io: NextIo, nowNs: number): number {
    const bs = this.job.bs;
    if (this.random) {
      io.offsetBytes = this.rng.below(this.blocks) * bs;
    } else {
      io.offsetBytes = this.offset;
      this.offset = this.offset + bs >= this.job.sizeBytes ? 0 : this.offset + bs;
    }
    io.lengthBytes = bs;
    io.write = this.write;
    return nowNs;
  }
}
