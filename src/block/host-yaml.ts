/**
 * Host descriptions in YAML, read strictly: an unknown key, a wrong type or an impossible value is a
 * HostDescriptionError whose message names the file and the field (`host.yaml: host.max_sectors:
 * must be at least 1 (line 4)`).
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
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { RESERVED_REGION_TYPES, IOMMU_MODES, type ReservedRegion } from '../dma/iommu-dma-domain.js';
import { dmaKernelFeatures } from '../dma/kernel-features.js';
import { SAC_MODES } from '../dma/sac.js';
import { crossCheck, DISK_TYPES, HOST_KINDS, patchDescription, type DescriptionPatch, type HostDescription } from './host-description.js';
import { ATA_QUIRKS } from './libata.js';
import { findPreset, PRESET_NAMES, PRESETS } from './presets.js';
import { CAP_VARIANTS } from './scsi-host.js';

export class HostDescriptionError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
    readonly line?: number,
  ) {
    super(`${file}: ${field}: ${problem}${line !== undefined ? ` (line ${line})` : ''}`);
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

type Value = bigint | number | boolean | string | null | undefined;

type FieldSpec =
  | { kind: 'int'; min: number; max: number; pow2?: boolean; maskOrZero?: boolean }
  | { kind: 'mask' }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'version' }
  | { kind: 'quirks' }
  | { kind: 'regions' };

const INT = (min: number, max: number, extra: { pow2?: boolean; maskOrZero?: boolean } = {}): FieldSpec => ({ kind: 'int', min, max, ...extra });

const SECTIONS: Record<string, Record<string, FieldSpec>> = {
  host: {
    name: { kind: 'string' },
    transport: { kind: 'enum', values: HOST_KINDS },
    max_sectors: INT(1, 0xffff_ffff),
    sg_tablesize: INT(1, 0xffff),
    max_segment_size: INT(512, 0xffff_ffff),
    dma_boundary: { kind: 'mask' },
    virt_boundary_mask: INT(0, 0xffff_ffff, { maskOrZero: true }),
    can_queue: INT(1, 0x7fff_ffff),
    nr_hw_queues: INT(1, 4096),
  },
  iommu: {
    mode: { kind: 'enum', values: IOMMU_MODES },
    invalidation: { kind: 'enum', values: ['strict', 'lazy'] },
    granule: INT(512, 65536, { pow2: true }),
    page_size: INT(4096, 65536, { pow2: true }),
    cpus: INT(1, 4096),
    flush_queue: { kind: 'enum', values: ['percpu', 'single'] },
    sac: { kind: 'enum', values: SAC_MODES },
    aperture_bits: INT(32, 53),
    reserved: { kind: 'regions' },
  },
  device: {
    name: { kind: 'string' },
    dma_mask_bits: INT(24, 64),
    pci: { kind: 'bool' },
    trusted: { kind: 'bool' },
    min_align_mask: INT(0, 0xffff_ffff, { maskOrZero: true }),
  },
  disk: {
    type: { kind: 'enum', values: DISK_TYPES },
    lba48: { kind: 'bool' },
    atapi: { kind: 'bool' },
    quirks: { kind: 'quirks' },
    logical_block_size: INT(512, 65536, { pow2: true }),
    physical_block_size: INT(512, 65536, { pow2: true }),
    use_16_for_rw: { kind: 'bool' },
    max_xfer_blocks: INT(0, 0xffff_ffff),
    opt_xfer_blocks: INT(0, 0xffff_ffff),
    mdts: INT(0, 20),
  },
  platform: {
    swiotlb: { kind: 'enum', values: ['off', 'on', 'force'] },
    max_phys_bits: INT(32, 64),
  },
};

const TOP: Record<string, FieldSpec | 'section'> = {
  preset: { kind: 'string' },
  name: { kind: 'string' },
  summary: { kind: 'string' },
  kernel: { kind: 'version' },
  cap: { kind: 'enum', values: CAP_VARIANTS },
  host: 'section',
  iommu: 'section',
  device: 'section',
  disk: 'section',
  platform: 'section',
};

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function typeName(v: Value): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'bigint') return 'a whole number';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a fractional number';
  if (typeof v === 'boolean') return 'true/false';
  return `"${v}"`;
}

class Reader {
  private readonly lines = new LineCounter();

  constructor(readonly file: string) {}

  get lineCounter(): LineCounter {
    return this.lines;
  }

  fail(field: string, problem: string, node?: Node | null): never {
    const offset = node?.range?.[0];
    throw new HostDescriptionError(this.file, field, problem, offset === undefined ? undefined : this.lines.linePos(offset).line);
  }

  scalar(field: string, node: Node | null): Value {
    if (node === null || !isScalar(node)) this.fail(field, node === null ? 'needs a value' : 'must be a single value, not a list or a map', node);
    return node.value as Value;
  }

  read(field: string, spec: FieldSpec, node: Node | null): unknown {
    switch (spec.kind) {
      case 'int': {
        const v = this.scalar(field, node);
        if (typeof v !== 'bigint') this.fail(field, `must be a whole number, not ${typeName(v)}`, node);
        if (v < BigInt(spec.min)) this.fail(field, `must be at least ${spec.min}`, node);
        if (v > BigInt(spec.max)) this.fail(field, `must be at most ${spec.max}`, node);
        const n = Number(v);
        if (spec.pow2 && (n & (n - 1)) !== 0) this.fail(field, `${n} is not a power of two`, node);
        if (spec.maskOrZero && n !== 0 && (v & (v + 1n)) !== 0n) this.fail(field, `0x${v.toString(16)} must be 0 or of the form 2^n - 1`, node);
        return n;
      }
      case 'mask': {
        const v = this.scalar(field, node);
        if (typeof v !== 'bigint') this.fail(field, `must be a whole number (a mask such as 0xffffffff), not ${typeName(v)}`, node);
        if (v < 4095n || v > 0xffff_ffff_ffff_ffffn || (v & (v + 1n)) !== 0n) this.fail(field, `0x${v.toString(16)} must be of the form 2^n - 1, at least 0xfff`, node);
        return v;
      }
      case 'bool': {
        const v = this.scalar(field, node);
        if (typeof v !== 'boolean') this.fail(field, `must be true or false, not ${typeName(v)}`, node);
        return v;
      }
      case 'string': {
        const v = this.scalar(field, node);
        if (typeof v !== 'string' || v.trim() === '') this.fail(field, `must be text, not ${typeName(v)}`, node);
        return v;
      }
      case 'enum': {
        const v = this.scalar(field, node);
        if (typeof v !== 'string' || !spec.values.includes(v)) this.fail(field, `must be one of ${spec.values.join(', ')}, not ${typeName(v)}`, node);
        return v;
      }
      case 'version': {
        const v = this.scalar(field, node);
        if (typeof v !== 'string') this.fail(field, `must be a quoted version such as "6.0" (unquoted, 6.10 would read as 6.1), not ${typeName(v)}`, node);
        try {
          dmaKernelFeatures(v);
        } catch (error) {
          this.fail(field, (error as Error).message, node);
        }
        return v.trim();
      }
      case 'quirks': {
        if (node === null || !isSeq(node)) this.fail(field, `must be a list of ${ATA_QUIRKS.join(', ')}`, node);
        return node.items.map((item, i) => this.read(`${field}[${i}]`, { kind: 'enum', values: ATA_QUIRKS }, item as Node));
      }
      case 'regions': {
        if (node === null || !isSeq(node)) this.fail(field, 'must be a list of {start, end, type, name}', node);
        return node.items.map((item, i) => this.region(`${field}[${i}]`, item as Node));
      }
    }
  }

  region(field: string, node: Node): ReservedRegion {
    if (!isMap(node)) this.fail(field, 'must be a map {start, end, type, name}', node);
    const out: Record<string, unknown> = {};
    const specs: Record<string, FieldSpec> = {
      start: INT(0, Number.MAX_SAFE_INTEGER),
      end: INT(0, Number.MAX_SAFE_INTEGER),
      type: { kind: 'enum', values: RESERVED_REGION_TYPES },
      name: { kind: 'string' },
    };
    this.readMap(field, node, specs, out, false);
    for (const key of ['start', 'end', 'type']) if (!(key in out)) this.fail(`${field}.${key}`, 'is required', node);
    if ((out.end as number) < (out.start as number)) this.fail(`${field}.end`, `must not be below start (0x${(out.start as number).toString(16)})`, node);
    return out as unknown as ReservedRegion;
  }

  /** Reads every pair of a map against specs into out (keys camelCased unless raw). */
  readMap(prefix: string, node: Node, specs: Record<string, FieldSpec>, out: Record<string, unknown>, camelCase = true): void {
    if (!isMap(node)) this.fail(prefix, 'must be a map of keys to values', node);
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : '?';
      const field = `${prefix}.${key}`;
      const spec = Object.prototype.hasOwnProperty.call(specs, key) ? specs[key] : undefined;
      if (spec === undefined) this.fail(field, `unknown key (known: ${Object.keys(specs).join(', ')})`, keyNode);
      out[camelCase ? camel(key) : key] = this.read(field, spec, (pair.value as Node | null) ?? null);
    }
  }
}

/** Parses and checks a YAML host description; `file` names it in errors. */
export function parseHostDescription(text: string, file: string): HostDescription {
  const reader: Reader = new Reader(file);
  const doc = parseDocument(text, { lineCounter: reader.lineCounter, intAsBigInt: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    const line = reader.lineCounter.linePos(error.pos[0]).line;
    throw new HostDescriptionError(file, 'yaml', error.message.split('\n')[0], line);
  }
  const root = doc.contents as Node | null;
  if (root === null) throw new HostDescriptionError(file, 'document', 'is empty');
  if (!isMap(root)) reader.fail('document', 'must be a map with keys such as preset, host, iommu, disk', root);
  const patch: Record<string, unknown> = {};
  let base = GENERIC_HOST;
  for (const pair of root.items) {
    const keyNode = pair.key as Node;
    const key = isScalar(keyNode) ? String(keyNode.value) : '?';
    const spec = Object.prototype.hasOwnProperty.call(TOP, key) ? TOP[key] : undefined;
    const value = (pair.value as Node | null) ?? null;
    if (spec === undefined) reader.fail(key, `unknown key (known: ${Object.keys(TOP).join(', ')})`, keyNode);
    if (spec === 'section') {
      const section: Record<string, unknown> = {};
      if (value === null) reader.fail(key, 'must be a map of keys to values', keyNode);
      reader.readMap(key, value, SECTIONS[key], section);
      patch[key] = section;
    } else if (key === 'preset') {
      const name = reader.read('preset', spec, value) as string;
      const preset = findPreset(name);
      if (preset === undefined) reader.fail('preset', `unknown preset "${name}" (known: ${PRESET_NAMES.join(', ')})`, value);
      base = preset;
    } else {
      patch[key] = reader.read(key, spec, value);
    }
  }
  const description = patchDescription(base, patch as DescriptionPatch);
  const problem = crossCheck(description);
  if (problem !== null) {
    const [field, message] = problem;
    reader.fail(field, message, doc.getIn(field.split('.'), true) as Node | undefined);
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
