/**
 * `iovasim limits`: what request sizes a storage host ends up with, and what IOVAs its I/O needs.
 *
 * For a host (a preset, a YAML file, and/or flags) on a kernel version and SCSI cap variant, prints
 * dma_max_mapping_size / dma_opt_mapping_size, the SCSI host and queue limits (max_hw_sectors_kb,
 * max_sectors_kb, ...) with how they were derived, then the requests an I/O pattern becomes: for
 * each, its scatterlist, the IOVA size (granules) one dma_map_sg() allocates, and whether the rcache
 * can hold it (order <= 5). The requests are really mapped on a fresh domain of the host, so the IOVA
 * addresses and DMA segment counts are the model's. `--json` prints the same as one JSON object.
 */
import { KernelVersionError } from '../../allocators/kernel-version.js';
import { BioError, DEFAULT_PHYS_BASE } from '../../block/bio-split.js';
import { patchDescription, type DescriptionPatch, type DiskType, type HostDescription, type HostKind, HOST_KINDS } from '../../block/host-description.js';
import { HostDescriptionError, GENERIC_HOST, loadHostDescription } from '../../block/host-yaml.js';
import { planIo, type PlannedRequest } from '../../block/io-path.js';
import { PRESETS, PRESET_NAMES, findPreset, SATA_LBA48_DISK } from '../../block/presets.js';
import { createDomain, probeHost, ProbeError, type HostSetup } from '../../block/probe.js';
import { sysfsView } from '../../block/queue-limits.js';
import { CAP_VARIANTS, type CapVariant } from '../../block/scsi-host.js';
import type { MergePolicy } from '../../block/request-merge.js';
import { IovaDomainError } from '../../allocators/iova-domain.js';
import { DomainConfigError, IOMMU_MODES, type IommuMode } from '../../dma/iommu-dma-domain.js';
import { DmaMapping } from '../../dma/mapping.js';
import { formatBinary, formatMappingSize, SIZE_MAX } from '../../dma/mapping-size.js';
import { helpText, parseArgs, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../errors.js';

const OPTIONS: Record<string, OptionSpec> = {
  preset: { type: 'string', description: `start from a preset: ${PRESET_NAMES.join(', ')} (default: a generic SAS HBA behind a translated 4 KiB IOMMU)` },
  file: { type: 'string', description: 'start from a YAML host description (may name a preset itself)' },
  kernel: { type: 'string', description: 'kernel version (5.10 or later, stable point releases too; default: the description\'s, else 7.0)' },
  cap: { type: 'string', description: 'SCSI cap variant: seed (series v3), merged (6.0), none (before); default by kernel' },
  'io-size': { type: 'string', description: 'bytes per I/O (suffixes k, m: 128k)', default: '128k' },
  offset: { type: 'string', description: 'offset of the buffer in its first page (bytes, multiple of 512)', default: '0' },
  count: { type: 'string', description: 'sequential I/Os submitted back to back under one plug', default: '1' },
  contig: { type: 'string', description: 'physically contiguous run of the buffer: page, all, or a size (2m)', default: 'page' },
  merge: { type: 'string', description: 'request merging: plug, elevator or none', default: 'plug' },
  transport: { type: 'string', description: `host transport: ${HOST_KINDS.join(', ')}` },
  'max-sectors': { type: 'string', description: 'host template max_sectors (512-byte sectors)' },
  'sg-tablesize': { type: 'string', description: 'host sg_tablesize' },
  'max-segment-size': { type: 'string', description: 'host max_segment_size (bytes)' },
  'dma-boundary': { type: 'string', description: 'host dma_boundary mask (e.g. 0xffffffff)' },
  iommu: { type: 'string', description: `IOMMU mode: ${IOMMU_MODES.join(', ')}` },
  invalidation: { type: 'string', description: 'IOTLB invalidation: strict or lazy' },
  granule: { type: 'string', description: 'IOMMU granule in bytes (power of two)' },
  'page-size': { type: 'string', description: 'CPU page size in bytes' },
  cpus: { type: 'string', description: 'CPUs (rcache and flush-queue instances)' },
  disk: { type: 'string', description: 'disk: sas, sata (LBA48), sata-lba28 or nvme' },
  mdts: { type: 'string', description: 'NVMe MDTS (0 = none)' },
  'dma-mask-bits': { type: 'string', description: 'device DMA mask width' },
  untrusted: { type: 'boolean', description: 'the device is untrusted (external-facing)' },
  json: { type: 'boolean', description: 'print one JSON object instead of text' },
  presets: { type: 'boolean', description: 'list the presets and exit' },
  help: { type: 'boolean', description: 'show this help' },
};

const USAGE = 'usage: iovasim limits [--preset NAME | --file HOST.yaml] [HOST FLAGS] [--kernel V] [--cap seed|merged|none] [--io-size N] [--offset N] [--json]';

/** "128k" -> 131072, "1m" -> 1048576, "0x1000" -> 4096. */
export function parseSize(option: string, text: string): number {
  const match = /^(0x[0-9a-f]+|\d+)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`--${option}: "${text}" is not a size (e.g. 4096, 128k, 1m)`);
  const base = match[1].toLowerCase().startsWith('0x') ? parseInt(match[1], 16) : Number(match[1]);
  const unit = (match[2] ?? '').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1048576 : unit === 'g' ? 1073741824 : 1;
  const value = base * factor;
  if (!Number.isSafeInteger(value)) throw new UsageError(`--${option}: "${text}" is too large`);
  return value;
}

function parseCount(option: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text) : parseSizeOrNaN(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${option}: "${text}" must be a whole number from ${min} to ${max}`);
  return value;
}

function parseSizeOrNaN(text: string): number {
  try {
    return parseSize('x', text);
  } catch {
    return Number.NaN;
  }
}

function oneOf<T extends string>(option: string, text: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(text)) throw new UsageError(`--${option}: "${text}" must be one of ${values.join(', ')}`);
  return text as T;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 2 ** 30 && (n & (n - 1)) === 0;
}

/** The host flags as a patch over the preset/file description. */
function flagPatch(options: Record<string, string | boolean | undefined>): DescriptionPatch {
  const str = (name: string): string | undefined => (typeof options[name] === 'string' ? (options[name] as string) : undefined);
  const host: Record<string, unknown> = {};
  const iommu: Record<string, unknown> = {};
  const device: Record<string, unknown> = {};
  const disk: Record<string, unknown> = {};
  let v: string | undefined;
  if ((v = str('transport')) !== undefined) host.transport = oneOf<HostKind>('transport', v, HOST_KINDS);
  if ((v = str('max-sectors')) !== undefined) host.maxSectors = parseCount('max-sectors', v, 1, 0xffff_ffff);
  if ((v = str('sg-tablesize')) !== undefined) host.sgTablesize = parseCount('sg-tablesize', v, 1, 0xffff);
  if ((v = str('max-segment-size')) !== undefined) host.maxSegmentSize = parseCount('max-segment-size', v, 512, 0xffff_ffff);
  if ((v = str('dma-boundary')) !== undefined) {
    let mask: bigint;
    try {
      mask = BigInt(v);
    } catch {
      throw new UsageError(`--dma-boundary: "${v}" is not a number`);
    }
    if (mask < 4095n || mask > 0xffff_ffff_ffff_ffffn || (mask & (mask + 1n)) !== 0n) throw new UsageError(`--dma-boundary: ${v} must be of the form 2^n - 1, at least 0xfff`);
    host.dmaBoundary = mask;
  }
  if ((v = str('iommu')) !== undefined) iommu.mode = oneOf<IommuMode>('iommu', v, IOMMU_MODES);
  if ((v = str('invalidation')) !== undefined) iommu.invalidation = oneOf('invalidation', v, ['strict', 'lazy'] as const);
  if ((v = str('granule')) !== undefined) {
    const granule = parseSize('granule', v);
    if (!isPowerOfTwo(granule) || granule < 512) throw new UsageError(`--granule: ${v} is not a power of two of at least 512`);
    iommu.granule = granule;
  }
  if ((v = str('page-size')) !== undefined) {
    const pageSize = parseSize('page-size', v);
    if (!isPowerOfTwo(pageSize) || pageSize < 4096 || pageSize > 65536) throw new UsageError(`--page-size: ${v} must be 4k, 16k or 64k`);
    iommu.pageSize = pageSize;
  }
  if ((v = str('cpus')) !== undefined) iommu.cpus = parseCount('cpus', v, 1, 4096);
  if ((v = str('dma-mask-bits')) !== undefined) device.dmaMaskBits = parseCount('dma-mask-bits', v, 24, 64);
  if (options.untrusted === true) device.trusted = false;
  if ((v = str('mdts')) !== undefined) disk.mdts = parseCount('mdts', v, 0, 20);
  if ((v = str('disk')) !== undefined) {
    const kind = oneOf('disk', v, ['sas', 'sata', 'sata-lba28', 'nvme'] as const);
    const type: DiskType = kind === 'sata-lba28' ? 'sata' : kind;
    Object.assign(disk, { ...SATA_LBA48_DISK, mdts: disk.mdts ?? 0, type, lba48: kind === 'sata' });
    if (type !== 'sata') Object.assign(disk, { lba48: false, quirks: [], atapi: false });
    if (type === 'nvme' && disk.mdts === 0 && str('mdts') === undefined) disk.mdts = 10;
  }
  return { host, iommu, device, disk } as DescriptionPatch;
}

async function describe(options: Record<string, string | boolean | undefined>): Promise<HostDescription> {
  const presetName = typeof options.preset === 'string' ? options.preset : undefined;
  const file = typeof options.file === 'string' ? options.file : undefined;
  if (presetName !== undefined && file !== undefined) throw new UsageError('give --preset or --file, not both (a file can name its preset)');
  let base: HostDescription = GENERIC_HOST;
  if (presetName !== undefined) {
    const preset = findPreset(presetName);
    if (preset === undefined) throw new UsageError(`--preset: unknown preset "${presetName}" (known: ${PRESET_NAMES.join(', ')})`);
    base = preset;
  }
  if (file !== undefined) {
    try {
      base = await loadHostDescription(file);
    } catch (error) {
      if (error instanceof HostDescriptionError) throw new UserError(error.message);
      throw error;
    }
  }
  const patched = patchDescription(base, flagPatch(options));
  if (typeof options.disk === 'string') return { ...patched, summary: `${base.summary} (disk replaced: --disk ${options.disk})` };
  return patched;
}

interface MappedRequest {
  readonly plan: PlannedRequest;
  readonly dmaSegments: number;
  readonly iovaAddress: number | null;
}

/** Maps every request on a fresh domain (all mapped at once, then all unmapped), as one batch would be. */
function mapAll(setup: HostSetup, plans: readonly PlannedRequest[]): MappedRequest[] {
  const domain = createDomain(setup, { cpus: 1 });
  const dma = new DmaMapping(domain);
  const out: MappedRequest[] = [];
  for (const plan of plans) {
    const count = dma.mapSg(setup.device, plan.sg, 0);
    const translated = dma.iommu !== null;
    out.push({ plan, dmaSegments: count, iovaAddress: translated && count > 0 ? plan.sg.iova : null });
  }
  for (const m of out) if (m.dmaSegments > 0) dma.unmapSg(setup.device, m.plan.sg, 0);
  return out;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function sizeJson(bytes: number): number | string {
  return bytes === SIZE_MAX ? 'SIZE_MAX' : bytes;
}

function contigLabel(chunk: number, pageSize: number): string {
  if (chunk === Number.POSITIVE_INFINITY) return 'one physically contiguous region';
  if (chunk === pageSize) return `physically scattered ${formatBinary(pageSize)} pages`;
  return `physically contiguous ${formatBinary(chunk)} runs`;
}

const CAP_TEXT: Record<CapVariant, string> = {
  seed: 'seed: the series as posted (v3) — every host capped by dma_opt_mapping_size',
  merged: 'merged: 6.0 — host capped by dma_max_mapping_size, SAS opt_sectors, sd soft cap, libata LBA48 template fix',
  none: 'none: before the series — dma_max_mapping_size cap in __scsi_init_queue only',
};

export const limitsCommand: Command = {
  name: 'limits',
  summary: 'a storage host\'s DMA mapping sizes, SCSI/block limits, and the IOVAs its I/O needs',
  async run(argv, io) {
    const { options, positionals } = parseArgs('limits', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(helpText(USAGE, OPTIONS));
      return 0;
    }
    if (options.presets) {
      for (const name of PRESET_NAMES) io.stdout.write(`${name.padEnd(18)} ${PRESETS[name].summary}\n`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`limits takes no arguments, got "${positionals[0]}" (a YAML file goes after --file)`);
    const cap = typeof options.cap === 'string' ? oneOf<CapVariant>('cap', options.cap, CAP_VARIANTS) : undefined;
    const ioBytes = parseSize('io-size', String(options['io-size']));
    const offset = parseSize('offset', String(options.offset));
    const count = parseCount('count', String(options.count), 1, 100000);
    const merge = oneOf<MergePolicy>('merge', String(options.merge), ['plug', 'elevator', 'none']);
    const description = await describe(options);
    const pageSize = description.iommu.pageSize;
    const contigText = String(options.contig);
    const chunkBytes = contigText === 'page' ? pageSize : contigText === 'all' ? Number.POSITIVE_INFINITY : parseSize('contig', contigText);
    if (chunkBytes !== Number.POSITIVE_INFINITY && (chunkBytes < pageSize || chunkBytes % pageSize !== 0)) {
      throw new UsageError(`--contig: ${contigText} must be page, all, or a multiple of the page size (${pageSize})`);
    }
    if (ioBytes <= 0 || ioBytes % 512 !== 0) throw new UsageError(`--io-size: ${ioBytes} must be a positive multiple of 512`);
    if (offset % 512 !== 0) throw new UsageError(`--offset: ${offset} must be a multiple of 512 (direct I/O alignment)`);

    let setup: HostSetup;
    let plans: PlannedRequest[];
    let mapped: MappedRequest[];
    try {
      setup = probeHost(description, { kernel: typeof options.kernel === 'string' ? options.kernel : undefined, cap });
      plans = planIo(setup, { ioBytes, count, offset, chunkBytes, physBase: DEFAULT_PHYS_BASE, policy: merge });
      mapped = mapAll(setup, plans);
    } catch (error) {
      if (error instanceof KernelVersionError) throw new UsageError(`--kernel: ${error.message}`);
      if (error instanceof ProbeError || error instanceof BioError || error instanceof DomainConfigError || error instanceof IovaDomainError) {
        throw new UserError(error.message);
      }
      throw error;
    }
    const sysfs = sysfsView(setup.limits);
    const { host, iommu, device, disk } = setup.description;
    const granule = iommu.granule;
    const rcacheBytes = pageSize * 32;

    if (options.json) {
      const result = {
        host: setup.description.name,
        summary: setup.description.summary,
        kernel: setup.features.version,
        cap: setup.host === null ? null : setup.variant,
        iommu: { mode: iommu.mode, invalidation: iommu.invalidation, granule, pageSize },
        device: { name: device.name, dmaMaskBits: device.dmaMaskBits, trusted: device.trusted },
        dmaMaxMappingSize: sizeJson(setup.dmaMax),
        dmaOptMappingSize: sizeJson(setup.dmaOpt),
        rcacheMaxBytes: iommu.mode === 'translated' ? rcacheBytes : null,
        shost:
          setup.host === null
            ? null
            : {
                name: host.name,
                transport: host.transport,
                maxSectors: setup.host.maxSectors,
                optSectors: setup.host.optSectors,
                sgTablesize: setup.host.sgTablesize,
                maxSegmentSize: setup.host.maxSegmentSize,
                dmaBoundary: hex(Number(setup.host.dmaBoundary)),
                canQueue: setup.host.canQueue,
                nrHwQueues: setup.host.nrHwQueues,
              },
        ataMaxSectors: setup.ataMaxSectors,
        queue: sysfs,
        trail: setup.trail,
        io: { ioBytes, count, offset, contig: chunkBytes === Number.POSITIVE_INFINITY ? 'all' : chunkBytes, merge },
        requests: mapped.map(({ plan, dmaSegments, iovaAddress }) => ({
          sector: plan.request.sector,
          bytes: plan.request.bytes,
          segments: plan.request.nrPhysSegments,
          sgEntries: plan.sgEntries,
          dmaSegments,
          iova: iovaAddress === null ? null : hex(iovaAddress),
          iovaGranules: plan.iova?.granules ?? null,
          allocGranules: plan.iova?.allocGranules ?? null,
          order: plan.iova?.order ?? null,
          rcacheable: plan.iova?.rcacheable ?? null,
        })),
      };
      io.stdout.write(JSON.stringify(result, null, 2) + '\n');
      return 0;
    }

    const out: string[] = [];
    out.push(`iovasim limits: ${setup.description.name} — ${setup.description.summary}`);
    out.push(
      setup.host === null
        ? `kernel ${setup.features.version} (NVMe is not SCSI: no cap variant; from 6.4 the driver caps with dma_opt_mapping_size)`
        : `kernel ${setup.features.version}, cap ${CAP_TEXT[setup.variant]}`,
    );
    out.push('');
    const iommuText =
      iommu.mode === 'translated'
        ? `IOMMU translated, ${iommu.invalidation}, granule ${formatBinary(granule)}, page ${formatBinary(pageSize)}`
        : `IOMMU ${iommu.mode} (dma-direct)`;
    out.push(`DMA device ${device.name}: ${iommuText}, ${device.dmaMaskBits}-bit mask${device.trusted ? '' : ', untrusted'}`);
    out.push(`  dma_max_mapping_size  ${formatMappingSize(setup.dmaMax)}`);
    out.push(
      `  dma_opt_mapping_size  ${formatMappingSize(setup.dmaOpt)}` +
        (setup.features.optMappingSize ? '' : ` (no such function in ${setup.features.version}: the value the series defines)`),
    );
    if (iommu.mode === 'translated') out.push(`  rcache holds IOVAs up to ${rcacheBytes / granule} granules (order 5, ${formatBinary(rcacheBytes)} with ${formatBinary(pageSize)} pages)`);
    out.push('');
    if (setup.host !== null) {
      const h = setup.host;
      out.push(
        `SCSI host ${host.name} (${host.transport}): max_sectors ${h.maxSectors}, opt_sectors ${h.optSectors}, sg_tablesize ${h.sgTablesize}, ` +
          `max_segment_size ${h.maxSegmentSize}, dma_boundary ${hex(Number(h.dmaBoundary))}, can_queue ${h.canQueue}, nr_hw_queues ${h.nrHwQueues}`,
      );
    } else {
      out.push(`NVMe controller ${host.name}: MDTS ${disk.mdts}, queues ${host.nrHwQueues} x depth ${host.canQueue}`);
    }
    for (const step of setup.trail) out.push(`  ${step}`);
    out.push('');
    out.push(`queue (${disk.type}${disk.type === 'sata' ? (disk.lba48 ? ', LBA48' : ', LBA28') : ''} disk):`);
    out.push(`  max_hw_sectors_kb  ${sysfs.max_hw_sectors_kb}`);
    out.push(`  max_sectors_kb     ${sysfs.max_sectors_kb}`);
    out.push(`  max_segments       ${sysfs.max_segments}`);
    out.push(`  max_segment_size   ${sysfs.max_segment_size}`);
    out.push(`  optimal_io_size    ${sysfs.optimal_io_size}`);
    out.push('');
    out.push(
      `I/O: ${count} x ${ioBytes} bytes at buffer offset ${offset}, ${contigLabel(chunkBytes, pageSize)}, ${merge} merging -> ${plans.length} request${plans.length === 1 ? '' : 's'}`,
    );
    const header = ['req', 'sector', 'bytes', 'segs', 'sg', 'dma-segs', 'iova', 'granules', 'alloc', 'order', 'rcache'];
    const rows = mapped.map(({ plan, dmaSegments, iovaAddress }, i) => [
      String(i),
      String(plan.request.sector),
      String(plan.request.bytes),
      String(plan.request.nrPhysSegments),
      String(plan.sgEntries),
      dmaSegments === 0 ? 'failed' : String(dmaSegments),
      iovaAddress === null ? '-' : hex(iovaAddress),
      plan.iova === null ? '-' : String(plan.iova.granules),
      plan.iova === null ? '-' : String(plan.iova.allocGranules),
      plan.iova === null ? '-' : String(plan.iova.order),
      plan.iova === null ? '-' : plan.iova.rcacheable ? 'yes' : 'no',
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]): string => '  ' + cells.map((c, i) => c.padStart(widths[i])).join('  ');
    out.push(line(header));
    const shown = rows.length > 40 ? [...rows.slice(0, 20), null, ...rows.slice(-10)] : rows;
    for (const row of shown) out.push(row === null ? `  ... ${rows.length - 30} more ...` : line(row));
    const translated = plans.filter((p) => p.iova !== null);
    if (translated.length > 0) {
      const cacheable = translated.filter((p) => p.iova?.rcacheable).length;
      const rest = cacheable < translated.length ? "; the rest walk the allocator's tree on every map and unmap" : '';
      out.push(`${cacheable} of ${translated.length} IOVA${translated.length === 1 ? '' : 's'} fit the rcache (order <= 5)${rest}.`);
    } else if (iommu.mode !== 'translated') {
      out.push('No IOVAs: without translation the DMA address is the physical address.');
    }
    const failed = mapped.filter((m) => m.dmaSegments === 0).length;
    if (failed > 0) out.push(`${failed} mapping${failed === 1 ? '' : 's'} failed: the IOVA space could not hold ${failed === 1 ? 'it' : 'them'}.`);
    io.stdout.write(out.join('\n') + '\n');
    return 0;
  },
};
