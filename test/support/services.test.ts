// Finding system services on PATH, and hiding them to exercise the "absent" path.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { absentNote, findService } from './services.js';

describe('findService', () => {
  const saved = { PATH: process.env.PATH, IOVASIM_HIDE_SERVICES: process.env.IOVASIM_HIDE_SERVICES };
  const dir = mkdtempSync(join(tmpdir(), 'iovasim-services-'));
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.IOVASIM_HIDE_SERVICES === undefined) delete process.env.IOVASIM_HIDE_SERVICES;
    else process.env.IOVASIM_HIDE_SERVICES = saved.IOVASIM_HIDE_SERVICES;
  });

  it('finds an executable on PATH, ignores a non-executable one, and hides it on request', () => {
    const fake = join(dir, 'redis-server');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o644);
    process.env.PATH = dir;
    delete process.env.IOVASIM_HIDE_SERVICES;
    expect(findService('redis-server')).toBeUndefined();
    chmodSync(fake, 0o755);
    expect(findService('redis-server')).toBe(fake);
    expect(findService('chromium')).toBeUndefined();
    process.env.IOVASIM_HIDE_SERVICES = 'chromium,redis-server';
    expect(findService('redis-server')).toBeUndefined();
    expect(absentNote('redis-server')).toMatch(/redis-server not found on PATH \(or hidden by IOVASIM_HIDE_SERVICES\): needs redis-server/);
    rmSync(dir, { recursive: true, force: true });
  });
});
