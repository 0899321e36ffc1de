// Golden replay and Linux-model memory of two builds side by side (issue 16, part 1):
//
//   node --expose-gc test/support/replay-ab.mjs OLD_DIST NEW_DIST ROUNDS [TRACE...]
//
// Each round runs one child process per build, alternating A and B so both see the same machine
// load. A child first fills a fresh 7.0 IovaDomain with LIVE one-granule allocations and reads heap
// plus ArrayBuffer bytes after full collections, before and after (first, so that no garbage of the
// replays is collected between the two readings); then it parses each trace once, replays it once
// untimed and then RUNS times, timing each replay with process.cpuUsage() (user + system) and the
// wall clock. Printed: per trace and build, the median over rounds of each
// child's median replay ns/op (CPU and wall), the ratio B/A, and bytes per live IOVA.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

const RUNS = 9;
const LIVE = 1_000_000;

async function bytesPerLiveIova(IovaDomain, numberPfn, profile) {
  const settle = async () => {
    globalThis.gc();
    await sleep(20);
    globalThis.gc();
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
  const before = await settle();
  const domain = new IovaDomain(numberPfn, profile, 4096, 1);
  for (let i = 0; i < LIVE; i++) if (domain.allocIova(1, 2 ** 32 - 1, true) === null) throw new Error('allocation failed');
  const after = await settle();
  // Keeps the domain alive past the reading.
  if (domain.nodeCount !== LIVE) throw new Error('lost nodes');
  return (after - before) / LIVE;
}

async function child(dist, traces) {
  const url = (path) => pathToFileURL(resolve(dist, path)).href;
  const { parseIovaTrace, runIovaTrace } = await import(url('conformance/iova-trace.js'));
  const { IovaDomain } = await import(url('allocators/iova-domain.js'));
  const { numberPfn } = await import(url('allocators/pfn.js'));
  const { kernelProfile } = await import(url('allocators/kernel-version.js'));
  const profile = kernelProfile('7.0');
  const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  const result = { replay: {}, bytesPerLive: 0 };
  // In a function of its own, so that the domain is garbage before the replays are timed.
  result.bytesPerLive = await bytesPerLiveIova(IovaDomain, numberPfn, profile);
  for (const file of traces) {
    const trace = parseIovaTrace(readFileSync(file), file);
    runIovaTrace(trace, profile);
    const cpu = [];
    const wall = [];
    for (let run = 0; run < RUNS; run++) {
      const startCpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      runIovaTrace(trace, profile);
      wall.push(Number(process.hrtime.bigint() - start) / trace.ops.length);
      const used = process.cpuUsage(startCpu);
      cpu.push(((used.user + used.system) * 1000) / trace.ops.length);
    }
    result.replay[file] = { cpu: median(cpu), wall: median(wall) };
  }
  process.stdout.write(JSON.stringify(result));
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv.slice(4));
} else {
  const [a, b, roundsText, ...given] = process.argv.slice(2);
  if (a === undefined || b === undefined) {
    process.stderr.write('usage: node --expose-gc test/support/replay-ab.mjs OLD_DIST NEW_DIST [ROUNDS] [TRACE...]\n');
    process.exit(2);
  }
  const rounds = Number(roundsText ?? 5);
  const shared = process.env.IOVASIM_SHARED ?? '../shared';
  const traces = given.length > 0 ? given : ['t27_tree_large', 't28_dma_large'].map((t) => `${shared}/conformance/7.0/${t}.trace`);
  const samples = { [a]: [], [b]: [] };
  for (let round = 0; round < rounds; round++) {
    for (const dist of [a, b]) {
      const out = execFileSync(process.execPath, ['--expose-gc', process.argv[1], '--child', dist, ...traces], { encoding: 'utf8', maxBuffer: 1 << 24 });
      samples[dist].push(JSON.parse(out));
    }
  }
  const median = (xs) => xs.slice().sort((x, y) => x - y)[xs.length >> 1];
  const fmt = (x) => x.toFixed(1);
  for (const file of traces) {
    const figure = (dist, key) => median(samples[dist].map((s) => s.replay[file][key]));
    process.stdout.write(
      `${file}: replay CPU ns/op A ${fmt(figure(a, 'cpu'))}, B ${fmt(figure(b, 'cpu'))}, B/A ${(figure(b, 'cpu') / figure(a, 'cpu')).toFixed(2)}; ` +
        `wall A ${fmt(figure(a, 'wall'))}, B ${fmt(figure(b, 'wall'))}, B/A ${(figure(b, 'wall') / figure(a, 'wall')).toFixed(2)}\n`,
    );
  }
  const bytes = (dist) => median(samples[dist].map((s) => s.bytesPerLive));
  process.stdout.write(`bytes per live IOVA at ${LIVE} live (7.0 model): A ${fmt(bytes(a))}, B ${fmt(bytes(b))}\n`);
  process.stdout.write(`medians of ${rounds} rounds (each a child's median of ${RUNS} replays); A = ${a}, B = ${b}\n`);
}
