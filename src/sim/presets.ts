/**
 * Built-in scenarios for the published setups (../shared/spec/published-figures.md).
 *
 * Each names its platform profile (./platform-profile.ts) and takes that profile's costs.
 *
 * `sas-128cpu`: the host of the 2021 report [0] — 128 CPUs, a HiSilicon hisi_sas v3 HBA (16 hardware
 * queues) behind an SMMUv3, one SAS expander with 12 SAS SSDs, fio bs=4k rw=read iodepth=128
 * cpus_allowed=0-127, strict invalidation. What the mail does not state is filled in and marked.
 */
import { DEFAULT_PLATFORM, platformCosts, type PlatformSelection } from './platform-profile.js';
import type { AgeingModel, Scenario } from './scenario.js';

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
  // fio with ioengine=libaio (the usual choice for such runs; the mail does not say), SCSI, SMMUv3.
  platform: DEFAULT_PLATFORM,
  costs: platformCosts(DEFAULT_PLATFORM),
};

/**
 * `nvme-amdvi`: one fast NVMe drive behind AMD-Vi, driven from ONE core by polled io_uring (fio
 * ioengine=io_uring hipri=1) with 4 KiB random reads at depth 128 — the setup where the IOMMU's
 * per-I/O work is large next to the whole stack's. Host: src/block/presets.ts `nvme-amdvi`.
 */
const NVME_PLATFORM: PlatformSelection = {
  ioEngine: 'io_uring',
  driver: 'nvme',
  completion: 'polled',
  coalesce: 1,
  iommu: 'amd-vi',
  // fio's defaults: one I/O per io_uring_enter, reaping one completion at a time.
  batch: { submit: 1, completeMin: 1, completeMax: 1 },
  sqPoll: false,
};

export const NVME_AMDVI: Scenario = {
  name: 'nvme-amdvi',
  seed: 1,
  durationMs: 60,
  warmupMs: 10,
  intervalMs: 5,
  ageingMaps: 0,
  cpus: 64,
  kernel: '6.6',
  // x86 defaults to lazy invalidation (the host description's default).
  iommu: { mode: 'translated', invalidation: 'lazy', retryPass: true, rcacheClasses: 6 },
  allocator: 'linux',
  host: { preset: 'nvme-amdvi', queueDepth: 1023, cap: 'merged' },
  // A PCIe Gen5 drive: ~3.3M random 4 KiB reads per second (vendor figures, 2025) as one server of
  // 10 ns + 4096 B at 14 GB/s (= 303 ns per command); the 30 µs of latency is assumed.
  disks: { count: 1, bandwidthMBps: 14_000, commandUs: 0.01, latencyUs: 30 },
  // PCIe Gen5 x4: ~15.75 GB/s.
  linkMBps: 15_750,
  jobs: [{ name: 'randread', rw: 'randread', bs: 4096, iodepth: 128, numjobs: 1, cpus: [0], sizeBytes: 2 ** 40 }],
  platform: NVME_PLATFORM,
  costs: platformCosts(NVME_PLATFORM),
};

/**
 * `ahci-vtd`: a desktop/workstation SATA host behind Intel VT-d — AHCI (NCQ depth 32), one SATA SSD,
 * libata's limits — with one libaio thread of 4 KiB random reads. Host: src/block/presets.ts `ahci-vtd`.
 */
const AHCI_PLATFORM: PlatformSelection = { ...DEFAULT_PLATFORM, driver: 'libata', iommu: 'vt-d' };

export const AHCI_VTD: Scenario = {
  name: 'ahci-vtd',
  seed: 1,
  durationMs: 200,
  warmupMs: 20,
  intervalMs: 10,
  ageingMaps: 0,
  cpus: 8,
  kernel: '6.1',
  iommu: { mode: 'translated', invalidation: 'lazy', retryPass: true, rcacheClasses: 6 },
  allocator: 'linux',
  host: { preset: 'ahci-vtd', queueDepth: 32, cap: 'merged' },
  // A SATA SSD: ~550 MB/s and ~96K random 4 KiB reads per second (3 µs + 4096 B at 550 MB/s =
  // 10.4 µs per command); typical datasheet figures, assumed.
  disks: { count: 1, bandwidthMBps: 550, commandUs: 3, latencyUs: 60 },
  // SATA 6 Gb/s: ~600 MB/s.
  linkMBps: 600,
  jobs: [{ name: 'randread', rw: 'randread', bs: 4096, iodepth: 32, numjobs: 1, cpus: [0], sizeBytes: 2 ** 36 }],
  platform: AHCI_PLATFORM,
  costs: platformCosts(AHCI_PLATFORM),
};

export const PRESETS: Record<string, Scenario> = { [SAS_128CPU.name]: SAS_128CPU, [NVME_AMDVI.name]: NVME_AMDVI, [AHCI_VTD.name]: AHCI_VTD };

/**
 * A background mix for `iovasim age` on a host like sas-128cpu, when a scenario brings none. Every
 * figure is assumed (no source states the 2021 host's mix): the 4 KiB random reads themselves at
 * the link's rate (~1.6M/s, ~10 ms in flight), a smaller stream of larger I/O (8-256 KiB) from jobs
 * that hop between CPUs every minute, a batch job that runs half an hour and pauses half an hour
 * (~10,000 mappings in flight that drain into the depots at each pause), and long-lived driver
 * buffers (4 KiB-1 MiB, held an hour; ~18,000 live, more than the 4 GiB below the 32-bit boundary).
 */
export function sasBackgroundMix(cpus: number, uptimeHours: number): AgeingModel {
  const all = Array.from({ length: cpus }, (_, i) => i);
  return {
    uptimeHours,
    sampleHours: Math.max(uptimeHours / 12, 0.01),
    mapsPerHour: 200_000,
    streams: [
      { name: 'randread-4k', sizes: [4096], lifetimeMs: 10, ratePerSecond: 1_600_000, cpus: all, unmapOn: 'irq', dmaMaskBits: 64 },
      { name: 'mixed-io', sizes: [8192, 16384, 65536, 131072, 262144], lifetimeMs: 5, ratePerSecond: 50_000, cpus: all, cpusAtOnce: Math.max(1, Math.floor(cpus / 8)), migrateSeconds: 60, unmapOn: 'irq', dmaMaskBits: 64 },
      { name: 'batch-io', sizes: [4096, 65536], lifetimeMs: 20, ratePerSecond: 500_000, cpus: all, unmapOn: 'irq', dmaMaskBits: 64, onSeconds: 1800, offSeconds: 1800 },
      { name: 'long-lived-buffers', sizes: [4096, 65536, 1048576], lifetimeMs: 3_600_000, ratePerSecond: 5, cpus: all, unmapOn: 'same', dmaMaskBits: 64 },
    ],
  };
}
