// A seeded synthetic conformance trace of any length, for measuring the explorer at scale: four
// CPUs mapping and unmapping through alloc_iova_fast/free_iova_fast, mostly small sizes (the rcache's
// range) with some large ones, 32-bit and 48-bit limits, a `stats` every 100,000 operations.
export function scaleTrace(ops: number, seed = 1): string {
  let state = seed >>> 0 || 1;
  const random = (): number => {
    // xorshift32: deterministic and fast; quality is not the point here.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  const lines = ['cpus 4', 'domain 4096 1', 'rcache'];
  const live: { handle: number; size: number }[] = [];
  let handles = 0;
  while (lines.length < ops) {
    const r = random();
    if (r < 0.05) lines.push(`cpu ${Math.floor(random() * 4)}`);
    else if (lines.length % 100_000 === 0) lines.push('stats');
    else if (live.length < 3000 && (live.length < 500 || r < 0.53)) {
      const size = random() < 0.9 ? 1 + Math.floor(random() * 32) : 33 + Math.floor(random() * 224);
      const limit = random() < 0.7 ? 1048575 : 68719476735;
      lines.push(`alloc_fast ${size} ${limit} 1`);
      live.push({ handle: handles++, size });
    } else if (live.length > 0) {
      const [freed] = live.splice(Math.floor(random() * live.length), 1);
      lines.push(`free_fast @${freed.handle} ${freed.size}`);
    }
  }
  return lines.join('\n') + '\n';
}
