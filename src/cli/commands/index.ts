/**
 * The command table: each row is a name, the one-line summary `iovasim --help` lists, and a loader
 * that imports the command's module only when that command runs. `iovasim --help` and
 * `iovasim --version` therefore load none of the commands (nor bullmq, piscina, playwright or the
 * simulator behind them). A new command is one new row; a test checks each row's summary against
 * the module's own.
 */
import type { Command } from '../command.js';

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

/** Every subcommand, in the order `iovasim --help` lists them. */
export const commands: readonly CommandEntry[] = [
  { name: 'seed-story', summary: 'the main scenario (npm start): the 2021-22 IOVA story on a 128-CPU SAS host, simulated', load: async () => (await import('./seed-story.js')).seedStoryCommand },
  { name: 'validate', summary: 'simulate every published experiment that a scenario can express: simulated vs published ratio, calibration or prediction, sensitivity', load: async () => (await import('./validate.js')).validateCommand },
  { name: 'run', summary: 'simulate a scenario YAML or a fio job file; --compare variants, --json (fio-style), --report FILE.html|DIR (HTML)', load: async () => (await import('./run.js')).runCommand },
  { name: 'replay', summary: 'replay a block trace (blkparse, blktrace, fio iolog, MSR, CloudPhysics, MQSim, …) or an IOMMU ftrace capture through the model', load: async () => (await import('./replay.js')).replayCommand },
  { name: 'sweep', summary: 'run a parameter sweep (grid of scenarios × seeds) on every core or on BullMQ workers, resumable', load: async () => (await import('./sweep.js')).sweepCommand },
  { name: 'worker', summary: 'take sweep points from a BullMQ queue (iovasim sweep --queue), simulate them and return their summaries', load: async () => (await import('./worker.js')).workerCommand },
  { name: 'age', summary: "a host's IOVA domain over hours of uptime under a background mix: time series, and IOPS measured at chosen uptimes", load: async () => (await import('./age.js')).ageCommand },
  { name: 'simulate', summary: 'simulate one scenario (YAML file or --preset) and print IOPS, latency, lock and rcache figures', load: async () => (await import('./simulate.js')).simulateCommand },
  { name: 'limits', summary: "a storage host's DMA mapping sizes, SCSI/block limits, and the IOVAs its I/O needs", load: async () => (await import('./limits.js')).limitsCommand },
  { name: 'alloc-bench', summary: 'benchmark Linux IOVA allocation against buddy, gap-tree, vmem and TLSF on a seeded workload', load: async () => (await import('./alloc-bench.js')).allocBenchCommand },
  { name: 'iova-trace', summary: 'replay a conformance trace against the Linux IOVA domain and print what the kernel printed', load: async () => (await import('./iova-trace.js')).iovaTraceCommand },
  { name: 'dma-trace', summary: "replay a DMA conformance trace through the DMA layer and print what the kernel's dma-iommu.c printed", load: async () => (await import('./dma-trace.js')).dmaTraceCommand },
  { name: 'kernels', summary: 'the kernel changes iovasim models: commit, mainline release, stable backports; what a version has', load: async () => (await import('./kernels.js')).kernelsCommand },
  { name: 'explore', summary: 'watch the allocator work: a trace or ftrace capture in an interactive page (served on 127.0.0.1, or --out FILE.html)', load: async () => (await import('./explore.js')).exploreCommand },
  { name: 'demo', summary: 'the Linux allocator alone under a seeded DMA-style workload, 5.19 against 7.0 (no simulator)', load: async () => (await import('./demo.js')).demoCommand },
];
