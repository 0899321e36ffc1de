import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HostDescriptionError, loadHostDescription, parseHostDescription } from '../../src/block/host-yaml.js';
import { PRESET_NAMES, PRESETS } from '../../src/block/presets.js';
import { createDomain, probeHost } from '../../src/block/probe.js';
import { sysfsView } from '../../src/block/queue-limits.js';

const dir = fileURLToPath(new URL('../fixtures/hosts/', import.meta.url));

async function loadError(name: string): Promise<HostDescriptionError> {
  try {
    await loadHostDescription(dir + name);
  } catch (error) {
    if (error instanceof HostDescriptionError) return error;
    throw error;
  }
  throw new Error(`${name} loaded without an error`);
}

describe('presets', () => {
  it('include hisi_sas/SMMUv3, AHCI/VT-d, mpt3sas without IOMMU and NVMe/AMD-Vi, and all probe and build a domain', () => {
    expect(PRESET_NAMES).toEqual(expect.arrayContaining(['hisi_sas-smmuv3', 'ahci-vtd', 'mpt3sas-noiommu', 'nvme-amdvi']));
    for (const name of PRESET_NAMES) {
      const setup = probeHost(PRESETS[name], { kernel: '6.6' });
      const domain = createDomain(setup, { cpus: 2 });
      expect(domain.mode).toBe(PRESETS[name].iommu.mode);
    }
  });

  it('ahci-vtd reserves the x86 MSI window and the host-bridge windows at domain init', () => {
    const domain = createDomain(probeHost(PRESETS['ahci-vtd'], { kernel: '6.6' }), { cpus: 1 });
    expect(domain.allocator!.findIova(0xfee00)).toEqual(expect.objectContaining({ pfnLo: 0xfee00, pfnHi: 0xfeeff }));
    expect(domain.allocator!.findIova(0x80000)).toEqual(expect.objectContaining({ pfnLo: 0x80000, pfnHi: 0xdffff }));
  });
});

describe('YAML host descriptions', () => {
  it('a preset with overrides: the LBA48 SATA disk behind hisi_sas under seed gets 256 sectors', async () => {
    const desc = await loadHostDescription(dir + 'hisi-sata.yaml');
    expect(desc.name).toBe('hisi-sata');
    expect(desc.disk.type).toBe('sata');
    expect(desc.host.sgTablesize).toBe(124);
    const setup = probeHost(desc);
    expect(setup.variant).toBe('seed');
    expect(setup.ataMaxSectors).toBe(256);
  });

  it('a host described from scratch, every key read', async () => {
    const desc = await loadHostDescription(dir + 'custom-host.yaml');
    expect(desc.host.dmaBoundary).toBe(0xffffn);
    expect(desc.iommu.reserved).toEqual([{ start: 0xfee00000, end: 0xfeefffff, type: 'msi', name: 'MSI window' }]);
    expect(desc.disk.physicalBlockSize).toBe(4096);
    const setup = probeHost(desc);
    expect(setup.features.version).toBe('6.1');
    expect(setup.device.segBoundaryMask).toBe(0xffffn);
    expect(sysfsView(setup.limits).max_sectors_kb).toBe(128);
  });

  it('max_sectors 0: names the file and field', async () => {
    const error = await loadError('bad-max-sectors.yaml');
    expect(error.message).toBe(`${dir}bad-max-sectors.yaml:4:16: host.max_sectors: must be between 1 and 4294967295, got 0`);
    expect(error).toMatchObject({ line: 4, column: 16 });
    expect(error.field).toBe('host.max_sectors');
  });

  it('a granule that is not a power of two', async () => {
    expect((await loadError('bad-granule.yaml')).message).toMatch(/bad-granule\.yaml:3:12: iommu\.granule: 3000 is not a power of two$/);
  });

  it('unknown keys, in a section and at the top', async () => {
    expect((await loadError('bad-unknown-key.yaml')).message).toMatch(/bad-unknown-key\.yaml:2:3: host\.max_sector: unknown key \(known: name, transport, max_sectors,/);
    expect((await loadError('bad-top-key.yaml')).message).toMatch(/bad-top-key\.yaml:1:1: hosts: unknown key/);
  });

  it('wrong types', async () => {
    expect((await loadError('bad-type.yaml')).message).toMatch(/bad-type\.yaml:2:17: host\.sg_tablesize: must be a whole number, got "lots"$/);
    expect(() => parseHostDescription('disk:\n  lba48: yes please\n', 'h.yaml')).toThrow(/h\.yaml:2:10: disk\.lba48: must be true or false/);
    expect(() => parseHostDescription('iommu:\n  mode: magic\n', 'h.yaml')).toThrow(/h\.yaml:2:9: iommu\.mode: must be one of translated, passthrough, none/);
    expect(() => parseHostDescription('host: 5\n', 'h.yaml')).toThrow(/h\.yaml:1:7: host: must be a mapping/);
  });

  it('unknown keys named __proto__ or constructor, and a mask that is not 2^n - 1', () => {
    expect(() => parseHostDescription('host:\n  __proto__: {max_sectors: 1}\n', 'h.yaml')).toThrow(/^h\.yaml:2:3: host\.__proto__: unknown key/);
    expect(() => parseHostDescription('constructor: 1\n', 'h.yaml')).toThrow(/^h\.yaml:1:1: constructor: unknown key/);
    expect(() => parseHostDescription('host:\n  dma_boundary: 0x1000\n', 'h.yaml')).toThrow('h.yaml:2:17: host.dma_boundary: 0x1000 must be of the form 2^n - 1, at least 0xfff');
    expect(parseHostDescription('host:\n  dma_boundary: 0xffffffffffffffff\n', 'h.yaml').host.dmaBoundary).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('an unknown preset', async () => {
    expect((await loadError('bad-preset.yaml')).message).toMatch(/bad-preset\.yaml:1:9: preset: unknown preset "hisi_sas_v9" \(known: hisi_sas-smmuv3, ahci-vtd/);
  });

  it('an unquoted kernel version (6.10 would read as 6.1)', async () => {
    expect((await loadError('bad-kernel.yaml')).message).toMatch(/bad-kernel\.yaml:2:9: kernel: must be a quoted version such as "6\.0"/);
    expect(() => parseHostDescription('kernel: "4.19"\n', 'h.yaml')).toThrow(/h\.yaml:1:9: kernel: kernel version 4\.19 is older than the first modelled/);
  });

  it('fields that contradict each other, and a reserved region that ends before it starts', async () => {
    expect((await loadError('bad-mismatch.yaml')).message).toMatch(/bad-mismatch\.yaml:3:9: disk\.type: a nvme disk cannot sit on a ata host/);
    expect((await loadError('bad-region.yaml')).message).toMatch(/bad-region\.yaml:3:28: iommu\.reserved\[0\]\.end: must not be below start/);
  });

  it('YAML syntax errors and missing files', async () => {
    expect((await loadError('bad-syntax.yaml')).message).toMatch(/bad-syntax\.yaml:3:1: not valid YAML: /);
    expect((await loadError('no-such-host.yaml')).message).toMatch(/no-such-host\.yaml: file: cannot read: ENOENT/);
  });

  it('errors are Error subclasses', async () => {
    expect(await loadError('bad-granule.yaml')).toBeInstanceOf(Error);
  });
});
