// Prints the closing line CI reads: `N passed, N failed` (`, N skipped` when any were skipped).
// Vitest's own summary has a different shape.
//
// The line must never hide a failure, so "failed" counts every way a run can go wrong:
//  - a test whose result is `failed`;
//  - a test that was meant to run (mode `run`/`only`) but was skipped because a hook of its file or
//    suite failed (vitest marks such tests `skipped`, not `failed`);
//  - a file that failed without any of its tests counted as failed (it did not load, or an
//    `afterAll` failed after every test passed): one each;
//  - each unhandled error (an unhandled rejection, an error thrown after a test ended);
//  - and, if the run still ends `failed`/`interrupted` or the process exits non-zero with nothing
//    counted, one more. A run that exits non-zero therefore never prints `0 failed`.
// Tests skipped on purpose (`skipIf`, `ctx.skip(note)`) are counted as skipped, and their notes are
// printed above the line, so a skip for a missing system service says why.
import type { Reporter, SerializedError, TestCase, TestModule, TestRunEndReason, TestSuite } from 'vitest/node';

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  /** `file > suite > test: note` for each test skipped with a note. */
  skipNotes: string[];
}

function failedAncestor(test: TestCase): boolean {
  let parent: TestSuite | TestModule = test.parent;
  while (true) {
    if (parent.state() === 'failed') return true;
    if (parent.type === 'module') return false;
    parent = parent.parent;
  }
}

/** The counts for one finished run; exported so the reporter's own test can check the arithmetic. */
export function countRun(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0, skipNotes: [] };
  for (const module of testModules) {
    let failedHere = 0;
    for (const test of module.children.allTests()) {
      const result = test.result();
      if (result.state === 'passed') counts.passed++;
      else if (result.state === 'failed') failedHere++;
      else if ((test.options.mode === 'run' || test.options.mode === 'only') && failedAncestor(test)) failedHere++;
      else if (result.state === 'pending' && reason !== 'passed') failedHere++; // never finished
      else {
        counts.skipped++;
        if (result.state === 'skipped' && result.note) counts.skipNotes.push(`${test.fullName}: ${result.note}`);
      }
    }
    if (failedHere === 0 && module.state() === 'failed') failedHere = 1;
    counts.failed += failedHere;
  }
  counts.failed += unhandledErrors.length;
  if (reason !== 'passed' && counts.failed === 0) counts.failed = 1;
  return counts;
}

export function countLine(counts: Counts): string {
  const tail = counts.skipped > 0 ? `, ${counts.skipped} skipped` : '';
  return `${counts.passed} passed, ${counts.failed} failed${tail}`;
}

export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const counts = countRun(testModules, unhandledErrors, reason);
    // Vitest prints its own summary after the reporters run; the count must be the last line.
    process.once('exit', (code) => {
      // Whatever made the process fail after the run (a teardown, a reporter), it is a failure.
      if (code !== 0 && counts.failed === 0) counts.failed = 1;
      const notes = counts.skipNotes.map((note) => `skipped: ${note}\n`).join('');
      process.stdout.write(`\n${notes}${countLine(counts)}\n`);
    });
  }
}
