/**
 * Argument checks at the allocators' public entry points. A library caller's `freeIova(undefined)`
 * must be a TypeError, not a comparison with undefined that frees whatever it happens to reach.
 * The check is written inline at each method's entry as one `typeof` compare (measured: no
 * difference on the hot path within the machine's noise); this cold function only builds the error.
 */
export function argumentError(allocator: string, argument: string, value: unknown, expected: string): TypeError {
  const shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new TypeError(`${allocator}: ${argument} must be a ${expected}, got ${shown}`);
}
