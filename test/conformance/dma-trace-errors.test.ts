// Malformed DMA traces: `FILE:LINE: what is wrong`, a non-zero exit, never a stack trace.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDmaTrace, runDmaTrace, TraceError } from '../../src/conformance/dma-trace.js';
import { dmaKernelFeatures } from '../../src/dma/kernel-features.js';
import { runCli } from '../support/capture.js';

function problem(text: string): string {
  try {
    parseDmaTrace(text, 'bad.trace');
  } catch (error) {
    expect(error).toBeInstanceOf(TraceError);
    return (error as Error).message;
  }
  throw new Error('trace was accepted');
}

describe('DMA trace parser errors', () => {
  it.each([
    ['map 4096\n', 'bad.trace:1: map takes PHYS SIZE, got 1 argument'],
    ['mapp 4096 4096\n', 'bad.trace:1: unknown operation "mapp"'],
    ['\n# comment\nmap 4096 x\n', 'bad.trace:3: SIZE "x" is not an unsigned decimal number'],
    ['map 4096 0\n', 'bad.trace:1: SIZE 0 is outside 1..'],
    ['map 18446744073709551616 1\n', 'bad.trace:1: PHYS 18446744073709551616 is outside 0..9007199254740991'],
    ['cpus 65\n', 'bad.trace:1: N 65 is outside 1..64'],
    ['cpus 2\ncpu 2\n', 'bad.trace:2: N 2 is not below the CPU count 2'],
    ['cpu 1\ncpus 2\n', 'bad.trace:1: N 1 is not below the CPU count 1 (default; set it with "cpus N" first)'],
    ['domain 3000\n', 'bad.trace:1: GRANULE 3000 is not a power of two'],
    ['domain 8192\n', 'bad.trace:1: GRANULE 8192 is outside 512..4096'],
    ['domain 4096 0 64\n', 'bad.trace:1: APERTURE_BITS 64: iovasim models apertures of at most 53 bits'],
    ['domain 4096\ndomain 4096\n', 'bad.trace:2: second "domain" (the first is on line 1)'],
    ['device 11\n', 'bad.trace:1: MASKBITS 11 is outside 12..64'],
    ['device 64 pci boundary 65536\n', 'bad.trace:1: boundary 65536 is not a mask of the form 2^n - 1'],
    ['device 64 maxseg\n', 'bad.trace:1: maxseg needs a value'],
    ['device 64 usb\n', 'bad.trace:1: unknown device option "usb"'],
    ['mode fast\n', 'bad.trace:1: mode "fast" is neither strict nor lazy'],
    ['mode lazy deep\n', 'bad.trace:1: unknown mode option "deep" (expected shadow)'],
    ['map 4096 4096\nmode lazy\n', 'bad.trace:2: mode after the domain was set up by line 1 (configuration comes first)'],
    ['stats\ncpus 4\n', 'bad.trace:2: cpus after the domain was set up by line 1'],
    ['map 4096 4096\nunmap @1\n', 'bad.trace:2: k @1 names result #1, but only 1 map/map_sg came before it'],
    ['map 4096 4096\nunmap 0\n', 'bad.trace:2: k "0" is not @ followed by a decimal number'],
    ['map 4096 4096\nunmap_sg @0\n', 'bad.trace:2: unmap_sg @0 names a map result; use unmap'],
    ['map_sg 1 4096:4096\nunmap @0\n', 'bad.trace:2: unmap @0 names a map_sg result; use unmap_sg'],
    ['map 4096 4096\nunmap @0\nunmap @0\n', 'bad.trace:3: @0 was already unmapped on line 2'],
    ['map_sg 2 4096:4096\n', 'bad.trace:1: map_sg 2 needs 2 PHYS:LEN entries, got 1'],
    ['map_sg 1 4096\n', 'bad.trace:1: entry 0 "4096" is not PHYS:LEN'],
    ['map_sg 1 4096:4294967296\n', 'bad.trace:1: entry 0 LEN 4294967296 is outside 1..4294967295'],
    ['tick\n', 'bad.trace:1: tick takes MS, got 0 arguments'],
    ['stats now\n', 'bad.trace:1: stats takes no arguments, got 1 argument'],
  ])('%j', (text, message) => {
    expect(problem(text)).toContain(message);
  });

  it('accepts comments, blank lines, tabs and trailing comments, and defaults every setting', () => {
    const trace = parseDmaTrace('# header\n\nmap\t1048576 4096   # one page\n  stats\n', 'ok.trace');
    expect(trace.ops.map((op) => op.line)).toEqual([3, 4]);
    expect(trace.setup).toMatchObject({ cpus: 1, granule: 4096, startPfn: 0, apertureBits: 48, maskBits: 64, pci: false, lazy: false });
    // A non-PCI 64-bit device: no 32-bit first attempt, so the top of the 48-bit aperture.
    expect(runDmaTrace(trace, dmaKernelFeatures('7.0'))).toBe(
      `${2 ** 48 - 4096}\ninvalidations 0 flushall 0 iotlb_sync 0\nnodes 1\nmaps 1 unmaps 0 pages 1\n`,
    );
  });
});

describe('iovasim dma-trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iovasim-dma-trace-'));

  it('prints FILE:LINE and exits non-zero on a malformed line, without a stack trace', async () => {
    const file = join(dir, 'broken.trace');
    writeFileSync(file, 'device 64 pci\nmap 1048576 4096\nmap_sg 2 4096:100 8192:yes\n');
    const result = await runCli(['dma-trace', file, '--kernel', '7.0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:3: entry 1 LEN "yes" is not an unsigned decimal number`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('rejects an unknown kernel version, an unknown option and a missing file', async () => {
    const file = join(dir, 'ok.trace');
    writeFileSync(file, 'map 1048576 4096\n');
    const badKernel = await runCli(['dma-trace', file, '--kernel', '4.19']);
    expect(badKernel.code).toBe(2);
    expect(badKernel.stderr).toContain('--kernel: kernel version 4.19 is older than the first modelled (5.10)');
    const badOption = await runCli(['dma-trace', file, '--kernal', '7.0']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('unknown option --kernal');
    const missing = await runCli(['dma-trace', join(dir, 'nope.trace')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.trace: cannot read: ENOENT');
  });

  it('replays a trace: the PCI 32-bit first attempt, an sg list, a strict unmap', async () => {
    const file = join(dir, 'small.trace');
    writeFileSync(file, 'device 64 pci\nmap 1048576 4096\nmap_sg 2 8192:4096 12288:4096\nunmap @0\nstats\n');
    const result = await runCli(['dma-trace', file, '--kernel', '5.19']);
    expect(result.code).toBe(0);
    // pfn 1048575 for the page; the 2-granule IOVA is size-aligned (iova.c), so pfns 1048572-1048573;
    // the unmapped page stays in the tree, parked in a magazine.
    expect(result.stdout).toBe(
      ['4294963200', '1 4294950912 8192', 'ok', 'invalidations 1 flushall 0 iotlb_sync 1', 'nodes 2', 'maps 2 unmaps 1 pages 2', ''].join('\n'),
    );
  });
});
