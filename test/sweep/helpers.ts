import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SMALL = resolve('test/fixtures/scenarios/small.yaml');

export async function tempDir(prefix = 'iovasim-sweep-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A sweep over small.yaml: allocator × invalidation × seeds, short simulated time. */
export function sweepYaml(options: { allocators?: string[]; repeats?: number; durationMs?: number } = {}): string {
  const duration = options.durationMs ?? 20;
  return [
    'name: tiny',
    `base: ${JSON.stringify(SMALL)}`,
    'axes:',
    `  allocator: [${(options.allocators ?? ['linux', 'tlsf']).join(', ')}]`,
    '  iommu.invalidation: [strict, lazy]',
    `  duration_ms: [${duration}]`,
    `repeats: ${options.repeats ?? 2}`,
    '',
  ].join('\n');
}

export async function writeSweep(dir: string, text: string, name = 'sweep.yaml'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

export async function resultLines(dir: string): Promise<string[]> {
  return (await readFile(join(dir, 'results.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
}
