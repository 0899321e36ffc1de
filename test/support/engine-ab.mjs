// Engine A/B: simulated I/Os per second of two builds of iovasim, measured side by side.
//
//   node test/support/engine-ab.mjs DIST_A DIST_B [cap=seed|none] [rounds=5] [processes|paired]
//
// DIST_A and DIST_B are built dist/ folders (e.g. an older commit unpacked with `git archive` and
// built, and this worktree's dist). Each round runs one process per build, alternating A and B so
// machine load hits both alike; a process simulates the bench scenario of src/bench/main.ts
// (sas-128cpu, no ageing, 1 ms warm-up, 300 ms) once to warm up, then once timed. Prints the
// medians of wall and CPU time and B's speed relative to A. Not a test: timing is not pass/fail.
//
// `paired` instead loads both builds into one process (each keeps its own modules and JIT code),
// warms each up once, then runs A and B alternately (which goes first alternates by round) and
// prints the median of B's CPU rate over A's in the same round: on a machine whose load drifts
// this separates a few per cent, which medians of separate processes do not.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [first, second, cap = 'seed', rounds = '5', mode = 'processes'] = process.argv.slice(2);

async function loadBuild(dist) {
  const href = pathToFileURL(resolve(dist)).href;
  const { simulate } = await import(`${href}/sim/engine.js`);
  const { SAS_128CPU } = await import(`${href}/sim/presets.js`);
  const scenario = { ...SAS_128CPU, name: 'ab', ageingMaps: 0, warmupMs: 1, durationMs: 300, host: { ...SAS_128CPU.host, cap } };
  return { simulate, scenario };
}

if (first === '--child') {
  const { simulate, scenario } = await loadBuild(second);
  simulate(scenario);
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  const ios = simulate(scenario).ios;
  const wallMs = Number(process.hrtime.bigint() - wall0) / 1e6;
  const used = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ ios, wallMs, cpuMs: (used.user + used.system) / 1e3 }));
} else if (mode === 'paired' && first !== undefined && second !== undefined) {
  const builds = [await loadBuild(first), await loadBuild(second)];
  const ios = builds.map((build) => build.simulate(build.scenario).ios);
  if (ios[0] !== ios[1]) console.log(`engine-ab: the builds simulate different I/O counts (${ios[0]} and ${ios[1]}): not the same results`);
  const rates = [[], []];
  for (let round = 0; round < Number(rounds); round++) {
    for (const k of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const cpu0 = process.cpuUsage();
      const done = builds[k].simulate(builds[k].scenario).ios;
      const used = process.cpuUsage(cpu0);
      rates[k].push(done / ((used.user + used.system) / 1e6));
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  console.log(`A ${first}: median ${(median(rates[0]) / 1e6).toFixed(3)}M simulated I/Os per CPU second`);
  console.log(`B ${second}: median ${(median(rates[1]) / 1e6).toFixed(3)}M simulated I/Os per CPU second`);
  console.log(`B/A (cap ${cap}, ${rounds} paired rounds in one process): ${median(rates[1].map((rate, round) => rate / rates[0][round])).toFixed(3)} CPU`);
} else {
  if (first === undefined || second === undefined || mode !== 'processes') {
    console.error('usage: node test/support/engine-ab.mjs DIST_A DIST_B [seed|none] [rounds] [processes|paired]');
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
