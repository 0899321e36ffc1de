import { join } from 'node:path';
import { expect } from 'vitest';
import { WorkloadError } from '../../src/workloads/errors.js';
import { repoRoot } from '../support/shared.js';

/** test/fixtures/workloads/NAME */
export function fixture(name: string): string {
  return join(repoRoot, 'test/fixtures/workloads', name);
}

export async function collect<T>(source: AsyncIterable<T> | Iterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

/** A byte stream of the given chunks (strings are UTF-8). */
export async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
}

/** The bytes cut into pieces of `size` bytes, as a stream. */
export async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, Math.min(bytes.length, i + size));
}

/** Asserts that the promise rejects with a WorkloadError naming this file, line and field. */
export async function expectWorkloadError(
  promise: Promise<unknown>,
  where: { file: string; line?: number; field: string; message?: RegExp },
): Promise<WorkloadError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(WorkloadError);
  const error = caught as WorkloadError;
  expect(error.file).toBe(where.file);
  expect(error.line).toBe(where.line);
  expect(error.field).toBe(where.field);
  const prefix = where.line === undefined ? `${where.file}: ${where.field}: ` : `${where.file}:${where.line}: ${where.field}: `;
  expect(error.message.startsWith(prefix)).toBe(true);
  if (where.message) expect(error.message).toMatch(where.message);
  return error;
}

/** Same, for a synchronous call. */
export function expectWorkloadErrorSync(fn: () => unknown, where: { file: string; line?: number; field: string; message?: RegExp }): WorkloadError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(WorkloadError);
  const error = caught as WorkloadError;
  expect({ file: error.file, line: error.line, field: error.field }).toEqual({ file: where.file, line: where.line, field: where.field });
  if (where.message) expect(error.message).toMatch(where.message);
  return error;
}
