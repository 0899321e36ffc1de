// The comparison every golden-output test makes.
import { expect } from 'vitest';

/**
 * Expects `actual` to equal the golden `expected` byte for byte; on a difference, the first
 * differing line is reported first (a whole-file diff of a 200k-line output is unreadable).
 */
export function expectSameOutput(actual: string, expected: string): void {
  if (actual !== expected) {
    const got = actual.split('\n');
    const want = expected.split('\n');
    let line = 0;
    while (line < got.length && got[line] === want[line]) line++;
    expect(`line ${line + 1}: ${got[line]}`).toBe(`line ${line + 1}: ${want[line]}`);
  }
  expect(actual).toBe(expected);
}
