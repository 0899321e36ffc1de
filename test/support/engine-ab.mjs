// Engine A/B: simulated I/Os per second of two builds of iovasim, measured side by side.
//
//   node test/support/engine-ab.mjs DIST_A DIST_B [cap=seed|none] [rounds=5]
//
// DIST_A and DIST_B are built dist/ folders (e.g. an older commit unpacked with `git archive` and
// built, and this worktree's dist). Each round runs one process per build, alternating A and B so
// machine load hits both alike; a process simulates the bench scenario of src/bench/main.ts
// (sas-128cpu, no ageing, 1 ms warm-up, 300 ms) once to warm up, then once timed. Prints the
// medians of wall and CPU time and B's speed relative to A. Not a test: timing is not pass/fail.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [first, second, cap = 'seed', rounds = '5'] = process.argv.slice(2);

if (first === '--child') {
  const dist = pathToFileURL(resolve(second)).href;
  const { simulate } = await import(`${dist}/sim/engine.js`);
  const { SAS_128CPU } = await import(`${dist}/sim/presets.js`);
  const scenario = { ...SAS_128CPU, name: 'ab', ageingMaps: 0, warmupMs: 1, durationMs: 300, host: { ...SAS_128CPU.host, cap } };
  simulate(scenario);
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  const ios = simulate(scenario).ios;
  const wallMs = Number(process.hrtime.bigint() - wall0) / 1e6;
  const used = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ ios, wallMs, cpuMs: (used.user + used.system) / 1e3 }));
} else {
  if (first === undefined || second === undefined) {
    console.error('usage: node test/support/engine-ab.mjs DIST_A DIST_B [seed|none] [rounds]');
    process.exit(2);
  }
  const runs = { A: [], B: [] };
  for (let round = 0; round < Number(rounds); round++) {
    for (const [label, dist] of [['A', first], ['B', second]]) {
      const child = spawnSync(process.execPath, [process.argv[1], '--child', dist, cap], { encoding: 'utf8' });
      if (child.status !== 0) {
        console.error(`engine-ab: ${dist}: ${child.stderr.trim().split('\n')[0]}`);
        process.exit(1);
      }
      runs[label].push(JSON.parse(child.stdout));
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const rate = (label, key) => median(runs[label].map((run) => run.ios / (run[key] / 1e3)));
  for (const label of ['A', 'B']) {
    const dist = label === 'A' ? first : second;
    console.log(`${label} ${dist}: ${runs[label][0].ios} I/Os; median ${(rate(label, 'wallMs') / 1e6).toFixed(2)}M I/Os/s wall, ${(rate(label, 'cpuMs') / 1e6).toFixed(2)}M I/Os/s CPU`);
  }
  console.log(`B/A (cap ${cap}, ${rounds} rounds): ${(rate('B', 'wallMs') / rate('A', 'wallMs')).toFixed(2)} wall, ${(rate('B', 'cpuMs') / rate('A', 'cpuMs')).toFixed(2)} CPU`);
}
