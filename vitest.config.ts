import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Documentation snippets import the package by name; in tests that name is the source.
    alias: { iovasim: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    reporters: ['default', './test/support/count-reporter.ts'],
    // One compiled copy of src/ for the tests that need JavaScript on disk (worker threads, children).
    globalSetup: ['./test/support/global-build.ts'],
    testTimeout: 120_000,
    // Hooks start servers and browsers; on a loaded 2-core machine 10 s is not enough.
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
