/**
 * Built-in scenarios for the published setups (../shared/spec/published-figures.md).
 *
 * `sas-128cpu`: the host of the 2021 report [0] — 128 CPUs, a HiSilicon hisi_sas v3 HBA (16 hardware
 * queues) behind an SMMUv3, one SAS expander with 12 SAS SSDs, fio bs=4k rw=read iodepth=128
 * cpus_allowed=0-127, strict invalidation. What the mail does not state is filled in and marked.
 */
import { DEFAULT_COST_MODEL } from './cost-model.js';
import type { Scenario } from './scenario.js';

const ALL_CPUS = Array.from({ length: 128 }, (_, i) => i);

export const SAS_128CPU: Scenario = {
  name: 'sas-128cpu',
  seed: 1,
  durationMs: 400,
  warmupMs: 150,
  intervalMs: 10,
  ageingMaps: 1_000_000,
  cpus: 128,
  // 5.11: the first release with the retry pass (4e89dce72521), which the report measured; it still
  // restarts from the anchor and predates hisi_sas v3's 256-sector cap (fce54ed02757, 5.19-6.0).
  kernel: '5.11',
  iommu: { mode: 'translated', invalidation: 'strict', retryPass: true, rcacheClasses: 6 },
  allocator: 'linux',
  // hisi_sas v3 behind SMMUv3 (src/block/presets.ts: max_sectors 1024, sg_tablesize 124, 16 hw queues).
  host: { preset: 'hisi_sas-smmuv3', queueDepth: 64 /* assumed: SAS SSD device queue depth */, cap: 'none' },
  // Assumed: 12 Gb/s SAS SSDs (~1 GB/s each) behind one x8 12 Gb/s wide port (~7 GB/s usable).
  disks: { count: 12, bandwidthMBps: 1000, commandUs: 4, latencyUs: 60 },
  linkMBps: 7000,
  // One fio thread per CPU, spread over the 12 disks (assumed: the mail gives only bs, rw, iodepth
  // and cpus_allowed).
  jobs: [{ name: 'seqread', rw: 'read', bs: 4096, iodepth: 128, numjobs: 128, cpus: ALL_CPUS, sizeBytes: 2 ** 40 }],
  costs: DEFAULT_COST_MODEL,
};

export const PRESETS: Record<string, Scenario> = { [SAS_128CPU.name]: SAS_128CPU };
