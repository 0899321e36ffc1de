/**
 * Host descriptions in YAML, read strictly on the schema layer (src/schema.ts, zod): an unknown key,
 * a wrong type or an impossible value is a HostDescriptionError `FILE:LINE:COLUMN: field: problem`
 * (`host.yaml:4:16: host.max_sectors: must be between 1 and 4294967295, got 0`).
 *
 * Layout (every section and key optional; `preset:` picks the base, default a generic SAS HBA
 * behind a translated 4 KiB IOMMU):
 *
 *   preset: hisi_sas-smmuv3
 *   name: my-hba
 *   summary: text
 *   kernel: "6.0"              # quoted: 6.10 unquoted would read as 6.1
 *   cap: merged                # seed | merged | none
 *   host:     {name, transport: sas|ata|scsi|nvme, max_sectors, sg_tablesize, max_segment_size,
 *              dma_boundary, virt_boundary_mask, can_queue, nr_hw_queues}
 *   iommu:    {mode: translated|passthrough|none, invalidation: strict|lazy, granule, page_size, cpus,
 *              flush_queue: percpu|single, sac: always|sticky|forcedac, aperture_bits,
 *              reserved: [{start, end, type, name}]}
 *   device:   {name, dma_mask_bits, pci, trusted, min_align_mask}
 *   disk:     {type: sas|sata|nvme, lba48, atapi, quirks: [max_sec_128|max_sec_1024|max_sec_lba48],
 *              logical_block_size, physical_block_size, use_16_for_rw, max_xfer_blocks,
 *              opt_xfer_blocks, mdts}
 *   platform: {swiotlb: off|on|force, max_phys_bits}
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { RESERVED_REGION_TYPES, IOMMU_MODES, type ReservedRegion } from '../dma/iommu-dma-domain.js';
import { dmaKernelFeatures } from '../dma/kernel-features.js';
import { SAC_MODES } from '../dma/sac.js';
import { check, mapping, oneOf, SchemaError, text, valueText, YamlFile, type Issue } from '../schema.js';
import { crossCheck, DISK_TYPES, HOST_KINDS, patchDescription, type DescriptionPatch, type HostDescription } from './host-description.js';
import { ATA_QUIRKS } from './libata.js';
import { findPreset, PRESET_NAMES, PRESETS } from './presets.js';
import { CAP_VARIANTS } from './scsi-host.js';

/** A host description that does not fit the schema: `FILE:LINE:COLUMN: field: problem`. */
export class HostDescriptionError extends SchemaError {
  constructor(file: string, field: string, problem: string, line?: number, column?: number) {
    super({ file, field, problem, line, column: line === undefined ? undefined : (column ?? 1) });
  }
}

/** The base of a description without `preset:`: a generic SAS HBA behind a translated 4 KiB IOMMU. */
export const GENERIC_HOST: HostDescription = {
  ...PRESETS['hisi_sas-smmuv3'],
  name: 'generic',
  summary: 'generic SAS HBA (SCSI defaults) behind a translated IOMMU',
  host: { name: 'generic', transport: 'sas', sgTablesize: 128, canQueue: 256, nrHwQueues: 1 },
  iommu: { ...PRESETS['hisi_sas-smmuv3'].iommu, cpus: 4 },
};

// Whole numbers are read as bigints (masks reach 2^64 - 1) and checked exactly before they become numbers.
const whole = (): z.ZodBigInt => z.bigint({ error: (issue) => `must be a whole number, got ${valueText(issue.input)}` });

/** A whole number in [min, max] as a number; pow2: a power of two; maskOrZero: 0 or 2^n - 1. */
function int(min: number, max: number, extra: { pow2?: boolean; maskOrZero?: boolean } = {}) {
  const between = (issue: { input?: unknown }): string => `must be between ${min} and ${max}, got ${valueText(issue.input)}`;
  let schema = whole().min(BigInt(min), { error: between }).max(BigInt(max), { error: between });
  if (extra.pow2) schema = schema.refine((v) => (v & (v - 1n)) === 0n, { error: (issue) => `${valueText(issue.input)} is not a power of two` });
  if (extra.maskOrZero) schema = schema.refine((v) => v === 0n || (v & (v + 1n)) === 0n, { error: (issue) => `0x${(issue.input as bigint).toString(16)} must be 0 or of the form 2^n - 1` });
  return schema.transform(Number);
}

/** A DMA mask such as 0xffffffff: 2^n - 1, at least 0xfff, kept exact as a bigint. */
const mask = whole().refine((v) => v >= 4095n && v <= 0xffff_ffff_ffff_ffffn && (v & (v + 1n)) === 0n, {
  error: (issue) => `0x${(issue.input as bigint).toString(16)} must be of the form 2^n - 1, at least 0xfff`,
});

const flag = z.boolean({ error: (issue) => `must be true or false, got ${valueText(issue.input)}` });

const version = z
  .string({ error: (issue) => `must be a quoted version such as "6.0" (unquoted, 6.10 would read as 6.1), got ${valueText(issue.input)}` })
  .superRefine((v, ctx) => {
    try {
      dmaKernelFeatures(v);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  })
  .transform((v) => v.trim());

const region = mapping({ start: int(0, Number.MAX_SAFE_INTEGER), end: int(0, Number.MAX_SAFE_INTEGER), type: oneOf(RESERVED_REGION_TYPES as [string, ...string[]]), name: text().optional() }).superRefine((r, ctx) => {
  if (r.end < r.start) ctx.addIssue({ code: 'custom', path: ['end'], message: `must not be below start (0x${r.start.toString(16)})` });
});

const sections = {
  host: mapping({
    name: text().optional(),
    transport: oneOf(HOST_KINDS as [string, ...string[]]).optional(),
    max_sectors: int(1, 0xffff_ffff).optional(),
    sg_tablesize: int(1, 0xffff).optional(),
    max_segment_size: int(512, 0xffff_ffff).optional(),
    dma_boundary: mask.optional(),
    virt_boundary_mask: int(0, 0xffff_ffff, { maskOrZero: true }).optional(),
    can_queue: int(1, 0x7fff_ffff).optional(),
    nr_hw_queues: int(1, 4096).optional(),
  }),
  iommu: mapping({
    mode: oneOf(IOMMU_MODES as [string, ...string[]]).optional(),
    invalidation: oneOf(['strict', 'lazy']).optional(),
    granule: int(512, 65536, { pow2: true }).optional(),
    page_size: int(4096, 65536, { pow2: true }).optional(),
    cpus: int(1, 4096).optional(),
    flush_queue: oneOf(['percpu', 'single']).optional(),
    sac: oneOf(SAC_MODES as [string, ...string[]]).optional(),
    aperture_bits: int(32, 53).optional(),
    reserved: z.array(region, { error: (issue) => `must be a list of {start, end, type, name}, got ${valueText(issue.input)}` }).optional(),
  }),
  device: mapping({
    name: text().optional(),
    dma_mask_bits: int(24, 64).optional(),
    pci: flag.optional(),
    trusted: flag.optional(),
    min_align_mask: int(0, 0xffff_ffff, { maskOrZero: true }).optional(),
  }),
  disk: mapping({
    type: oneOf(DISK_TYPES as [string, ...string[]]).optional(),
    lba48: flag.optional(),
    atapi: flag.optional(),
    quirks: z.array(oneOf(ATA_QUIRKS as [string, ...string[]]), { error: (issue) => `must be a list of ${ATA_QUIRKS.join(', ')}, got ${valueText(issue.input)}` }).optional(),
    logical_block_size: int(512, 65536, { pow2: true }).optional(),
    physical_block_size: int(512, 65536, { pow2: true }).optional(),
    use_16_for_rw: flag.optional(),
    max_xfer_blocks: int(0, 0xffff_ffff).optional(),
    opt_xfer_blocks: int(0, 0xffff_ffff).optional(),
    mdts: int(0, 20).optional(),
  }),
  platform: mapping({
    swiotlb: oneOf(['off', 'on', 'force']).optional(),
    max_phys_bits: int(32, 64).optional(),
  }),
};

/** The host description file: `preset:` and the top keys, then one mapping per section. */
export const hostDescriptionSchema = mapping({
  preset: oneOf(PRESET_NAMES as [string, ...string[]]).optional(),
  name: text().optional(),
  summary: text().optional(),
  kernel: version.optional(),
  cap: oneOf(CAP_VARIANTS as [string, ...string[]]).optional(),
  host: sections.host.optional(),
  iommu: sections.iommu.optional(),
  device: sections.device.optional(),
  disk: sections.disk.optional(),
  platform: sections.platform.optional(),
});
export type HostDescriptionFile = z.infer<typeof hostDescriptionSchema>;

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function camelKeys(section: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(section).filter(([, v]) => v !== undefined).map(([k, v]) => [camel(k), v]));
}

/** Parses and checks a YAML host description; `file` names it in errors. */
export function parseHostDescription(text: string, file: string): HostDescription {
  let yaml: YamlFile;
  try {
    yaml = YamlFile.parse(text, file, { intAsBigInt: true });
  } catch (error) {
    if (error instanceof SchemaError) throw new HostDescriptionError(file, error.field, error.problem, error.line, error.column);
    throw error;
  }
  const fail = (issue: Issue): never => {
    const e = yaml.error(issue);
    throw new HostDescriptionError(file, e.field, e.problem, e.line, e.column);
  };
  const data = yaml.data();
  if (data === null || data === undefined) return fail({ path: [], message: 'is empty: give at least preset: or a section such as host:' });
  if (typeof data !== 'object' || Array.isArray(data)) return fail({ path: [], message: 'must be a map with keys such as preset, host, iommu, disk' });
  // The preset first, so an unknown one is reported as such (with the names known).
  const presetName = (data as Record<string, unknown>).preset;
  if (typeof presetName === 'string' && findPreset(presetName) === undefined) fail({ path: ['preset'], message: `unknown preset "${presetName}" (known: ${PRESET_NAMES.join(', ')})` });
  const result = check(hostDescriptionSchema, data);
  if (!result.ok) return fail(result.issues[0]);
  const { preset, host, iommu, device, disk, platform, ...top } = result.value;
  const base = preset === undefined ? GENERIC_HOST : (findPreset(preset) as HostDescription);
  const patch: Record<string, unknown> = Object.fromEntries(Object.entries(top).filter(([, v]) => v !== undefined));
  for (const [key, section] of Object.entries({ host, iommu, device, disk, platform })) if (section !== undefined) patch[key] = camelKeys(section);
  if (iommu?.reserved !== undefined) (patch.iommu as Record<string, unknown>).reserved = iommu.reserved.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as ReservedRegion);
  const description = patchDescription(base, patch as DescriptionPatch);
  const problem = crossCheck(description);
  if (problem !== null) {
    const [field, message] = problem;
    fail({ path: field.split('.'), message });
  }
  return description;
}

/** Reads a YAML host description from disk. */
export async function loadHostDescription(path: string): Promise<HostDescription> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new HostDescriptionError(path, 'file', `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseHostDescription(text, path);
}
