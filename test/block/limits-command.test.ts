import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../../src/cli/command.js';
import { limitsCommand, parseSize } from '../../src/cli/commands/limits.js';
import { UsageError, UserError } from '../../src/cli/errors.js';

const dir = fileURLToPath(new URL('../fixtures/hosts/', import.meta.url));

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const stdout = new Writable({
    write(chunk, _encoding, callback) {
      out += String(chunk);
      callback();
    },
  });
  const io: CommandIo = { stdout, stderr: stdout, isTTY: false };
  const code = await limitsCommand.run(argv, io);
  return { code, out };
}

async function failure(...argv: string[]): Promise<UserError> {
  try {
    await run(...argv);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error(`iovasim limits ${argv.join(' ')} did not fail`);
}

describe('iovasim limits', () => {
  it('hisi_sas under seed (series v3): max_sectors_kb 128, and the mid-page 128 KiB I/O is 33 granules, order 6, not cached', async () => {
    const { code, out } = await run('--preset', 'hisi_sas-smmuv3', '--kernel', '6.0', '--cap', 'seed', '--offset', '2048');
    expect(code).toBe(0);
    expect(out).toContain('dma_opt_mapping_size  131072 (128 KiB)');
    expect(out).toContain('dma_max_mapping_size  SIZE_MAX (no limit)');
    expect(out).toContain('max_hw_sectors_kb  128\n');
    expect(out).toContain('max_sectors_kb     128\n');
    expect(out).toMatch(/scsi_add_host_with_dma: min\(1024, dma_opt_mapping_size >> 9\) = 256/);
    expect(out).toMatch(/ 33 +33 +3 +0x[0-9a-f]+ +33 +33 +6 +no\n/);
    expect(out).toMatch(/0 of 1 IOVA fit the rcache/);
  });

  it('--json carries the same numbers', async () => {
    const { out } = await run('--preset', 'hisi_sas-smmuv3', '--kernel', '6.1', '--cap', 'merged', '--io-size', '1m', '--json');
    const result = JSON.parse(out);
    expect(result.cap).toBe('merged');
    expect(result.dmaOptMappingSize).toBe(131072);
    expect(result.dmaMaxMappingSize).toBe('SIZE_MAX');
    expect(result.shost.optSectors).toBe(256);
    expect(result.queue.max_hw_sectors_kb).toBe(512);
    expect(result.queue.max_sectors_kb).toBe(128);
    expect(result.requests.length).toBe(8);
    expect(result.requests.every((r: { iovaGranules: number; rcacheable: boolean }) => r.iovaGranules === 32 && r.rcacheable)).toBe(true);
  });

  it('passthrough: opt = max = no limit, and no IOVAs', async () => {
    const { out } = await run('--preset', 'ahci-vtd', '--iommu', 'passthrough', '--kernel', '6.6', '--json');
    const result = JSON.parse(out);
    expect(result.dmaOptMappingSize).toBe('SIZE_MAX');
    expect(result.dmaMaxMappingSize).toBe('SIZE_MAX');
    expect(result.requests[0].iova).toBeNull();
  });

  it('reads a YAML host and lets flags override it', async () => {
    const { out } = await run('--file', dir + 'hisi-sata.yaml', '--json');
    expect(JSON.parse(out).ataMaxSectors).toBe(256);
    const overridden = JSON.parse((await run('--file', dir + 'hisi-sata.yaml', '--cap', 'none', '--kernel', '5.18', '--json')).out);
    expect(overridden.queue.max_hw_sectors_kb).toBe(32767);
  });

  it('lists presets and prints help', async () => {
    expect((await run('--presets')).out).toMatch(/^hisi_sas-smmuv3 +HiSilicon/m);
    expect((await run('--help')).out).toMatch(/usage: iovasim limits/);
  });

  it('user mistakes are UsageError / UserError with the field named, never a stack trace', async () => {
    expect(await failure('--cap', 'maybe')).toBeInstanceOf(UsageError);
    expect((await failure('--cap', 'maybe')).message).toMatch(/--cap: "maybe" must be one of seed, merged, none/);
    expect((await failure('--preset', 'nope')).message).toMatch(/--preset: unknown preset "nope"/);
    expect((await failure('--kernel', '4.19')).message).toMatch(/--kernel: kernel version 4\.19 is older/);
    expect((await failure('--io-size', 'big')).message).toMatch(/--io-size: "big" is not a size/);
    expect((await failure('--offset', '100')).message).toMatch(/--offset: 100 must be a multiple of 512/);
    expect((await failure('--granule', '3000')).message).toMatch(/--granule: 3000 is not a power of two/);
    expect((await failure('--bogus')).message).toMatch(/unknown option --bogus/);
    expect((await failure('--preset', 'ahci-vtd', '--disk', 'nvme', '--transport', 'ata')).message).toMatch(/disk\.type: a nvme disk cannot sit on a ata host/);
    const yaml = await failure('--file', dir + 'bad-max-sectors.yaml');
    expect(yaml).not.toBeInstanceOf(UsageError);
    expect(yaml.message).toMatch(/bad-max-sectors\.yaml:4:16: host\.max_sectors: must be between 1 and 4294967295, got 0/);
  });

  it('parseSize understands k/m suffixes and hex', () => {
    expect(parseSize('x', '128k')).toBe(131072);
    expect(parseSize('x', '1M')).toBe(1048576);
    expect(parseSize('x', '0x1000')).toBe(4096);
  });
});
