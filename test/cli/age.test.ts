// `iovasim age`: bad input is one line naming the option, or the file, line and field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ageCommand } from '../../src/cli/commands/age.js';
import { runCommand } from './helpers.js';

describe('iovasim age', () => {
  it('names a bad option in one line', async () => {
    for (const [argv, message] of [
      [['--uptimes', 'soon'], 'iovasim age: --uptimes: must be hours from 0 to 100000, comma-separated, got "soon"\n'],
      [['--depot', 'many'], 'iovasim age: --depot: must be a number of slots from 1 to 4096 or "list", got "many"\n'],
      [['a.yaml', 'b.yaml'], 'iovasim age: takes at most one scenario file\n'],
    ] as const) {
      const r = await runCommand(ageCommand, [...argv]);
      expect(r.code).toBeGreaterThan(0);
      expect(r.stderr).toBe(message);
    }
  });

  it('names the file, line and field of a mix the compression cannot hold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iovasim-age-'));
    const file = join(dir, 'mix.yaml');
    writeFileSync(
      file,
      ['preset: sas-128cpu', 'ageing:', '  uptime_hours: 1', '  maps_per_hour: 1000', '  streams:', '    - { sizes: [4096], lifetime_ms: 5, rate_per_s: 1000, cpus_allowed: 0-3 }', '    - { sizes: [4096], lifetime_ms: 60000, rate_per_s: 1, cpus_allowed: 0-3 }', ''].join('\n'),
    );
    const r = await runCommand(ageCommand, [file]);
    expect(r.code).toBeGreaterThan(0);
    expect(r.stderr).toBe(`iovasim age: ${file}:4:18: ageing.maps_per_hour: the long-lived streams alone make 3600 maps an hour; give at least twice that (7200) so the short-lived streams have room\n`);
  });
});
