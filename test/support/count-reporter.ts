// Prints the closing line CI reads: `N passed, N failed` (`, N skipped` when any were skipped).
// Vitest's own summary has a different shape.
import type { Reporter, TestModule } from 'vitest/node';

export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load has no tests but is still a failure.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    // Vitest prints its own summary after the reporters run; the count must be the last line.
    process.once('exit', () => {
      process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
    });
  }
}
