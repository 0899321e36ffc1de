import fc from 'fast-check';
import { it } from 'vitest';
import { opArb, DOMAINS, drive, newCounters } from '/work/wt-tests/test/allocators/support/drive.js';
it('gen', () => {
  let t = performance.now();
  const runs = fc.sample(fc.array(opArb, { minLength: 400, maxLength: 400 }), { numRuns: 260, seed: 1 });
  console.log('generate', performance.now() - t);
  t = performance.now();
  const c = newCounters();
  for (let i = 0; i < runs.length; i++) drive('tlsf', DOMAINS[i % 3], [], runs[i], c);
  console.log('drive', performance.now() - t, c.ops);
});
