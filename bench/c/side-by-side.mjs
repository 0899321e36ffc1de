// The kernel's own iova.c (C, gcc -O2, bench/c/iova-harness) and iovasim's model, timed side by
// side on the same golden traces and the same machine (issue 16: replay <= 1.0x C, whole process
// <= 1.5x C). After `npm run build` and `KERNEL_SRC=/path/to/linux bash bench/c/build.sh .bench-out/c`:
//
//   node bench/c/side-by-side.mjs [--harness .bench-out/c/iova-harness] [--kernel 7.0]
//                                 [--rounds 5] [--runs 11] [--conformance ../shared/conformance]
//                                 [--traces t27_tree_large,t28_dma_large,t13_exhaust32_fast_flush]
//
// For each trace, ROUNDS rounds, each running C then the model (A B A B ...) so both see the same
// load on the shared machine:
//   (a) in process: `iova-harness FILE --bench RUNS` and `node dist/cli/main.js iova-trace FILE
//       --kernel K --bench --runs RUNS`; each prints the median over RUNS of parse and replay ns/op
//       (CPU time of the process, and wall), the same quantities measured the same way (the file
//       already in memory, one untimed warm-up, operations = lines holding an operation);
//   (b) whole process: `harness FILE > out` and `node dist/cli/main.js iova-trace FILE --kernel K
//       > out` under bash, which reports the child's user + system CPU time (`times`, 1 ms
//       resolution) and its wall time ($EPOCHREALTIME around the command).
// Every output (stdout of (a) and the file of (b)) is compared byte for byte with the golden
// KERNEL/TRACE.out; a difference stops the run. Printed: a markdown table of the medians over the
// rounds, with the ratio model / C, headed by the time, the load average before and after, and
// the harness's build info (kernel blob ids).
import { Buffer } from 'node:buffer';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function fail(message) {
  process.stderr.write(`side-by-side: ${message}\n`);
  process.exit(1);
}

function parseOptions(argv) {
  const options = {
    harness: join(root, '.bench-out', 'c', 'iova-harness'),
    kernel: '7.0',
    rounds: 5,
    runs: 11,
    conformance: resolve(root, '..', 'shared', 'conformance'),
    traces: ['t27_tree_large', 't28_dma_large', 't13_exhaust32_fast_flush'],
  };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = argv[i + 1];
    if (!name.startsWith('--') || !(name.slice(2) in options)) fail(`unknown option ${name} (see the top of bench/c/side-by-side.mjs)`);
    if (value === undefined) fail(`${name} needs a value`);
    i++;
    const key = name.slice(2);
    if (key === 'rounds' || key === 'runs') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 1000) fail(`${name}: must be a whole number from 1 to 1000, got ${value}`);
      options[key] = n;
    } else if (key === 'traces') {
      options.traces = value.split(',').filter((t) => t !== '');
    } else {
      options[key] = key === 'kernel' ? value : resolve(value);
    }
  }
  return options;
}

const options = parseOptions(process.argv.slice(2));
if (!existsSync(options.harness)) {
  fail(`the C harness is not built (${options.harness} is missing): run KERNEL_SRC=/path/to/linux bash bench/c/build.sh ${dirname(options.harness)}`);
}
const cli = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(cli)) fail(`${cli} is missing: run npm run build first`);

function traceFiles(name) {
  const golden = join(options.conformance, options.kernel, `${name}.out`);
  if (!existsSync(golden)) fail(`${golden} is missing (--conformance and --kernel name the golden outputs)`);
  // The .trace files live in 5.19/ and 7.0/ only (the conformance README).
  const trace = [options.kernel, '7.0', '5.19'].map((k) => join(options.conformance, k, `${name}.trace`)).find((f) => existsSync(f));
  if (trace === undefined) fail(`no ${name}.trace under ${options.conformance}`);
  return { trace, golden: readFileSync(golden) };
}

function run(command, args) {
  const result = spawnSync(command, args, { maxBuffer: 1 << 30 });
  if (result.error) fail(`${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`${[command, ...args].join(' ')} exited with ${result.status}: ${result.stderr.toString().trim()}`);
  return result;
}

function sameAsGolden(output, golden, what) {
  if (!Buffer.from(output).equals(golden)) fail(`${what}: the output differs from the golden one`);
}

// The timing line both print (src/bench/replay-bench.ts formatTraceTiming; bench/c/iova-harness.c).
const TIMING = /: (\d+) ops, median of \d+ runs [\d.]+ ms, ([\d.]+) ns\/op, \d+ ops\/s wall; CPU [\d.]+ ms, ([\d.]+) ns\/op; parse: wall [\d.]+ ms, [\d.]+ ns\/op, CPU [\d.]+ ms, ([\d.]+) ns\/op/;

function inProcess(command, args, golden, what) {
  const result = run(command, args);
  sameAsGolden(result.stdout, golden, what);
  const match = TIMING.exec(result.stderr.toString());
  if (match === null) fail(`${what}: no timing line on stderr: ${result.stderr.toString().trim()}`);
  return { ops: Number(match[1]), replayWall: Number(match[2]), replayCpu: Number(match[3]), parseCpu: Number(match[4]) };
}

const BASH_TIMED = 'out=$1; shift; start=$EPOCHREALTIME; "$@" > "$out"; status=$?; end=$EPOCHREALTIME; echo "wall $start $end"; times; exit $status';

function seconds(text) {
  const match = /^(\d+)m([\d.]+)s$/.exec(text);
  if (match === null) fail(`cannot read the time "${text}" from bash's times`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function wholeProcess(command, args, golden, outFile, what) {
  const result = run('bash', ['-c', BASH_TIMED, 'timed', outFile, command, ...args]);
  sameAsGolden(readFileSync(outFile), golden, what);
  const lines = result.stdout.toString().trim().split('\n');
  const [, start, end] = lines[0].split(' ');
  // `times`: the shell's user and system time, then its children's.
  const [user, system] = lines[2].trim().split(/\s+/).map(seconds);
  return { cpu: user + system, wall: Number(end) - Number(start) };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const startedAt = new Date();
const loadBefore = loadAverage();
const scratch = mkdtempSync(join(tmpdir(), 'iovasim-side-by-side-'));
const rows = [];
try {
  for (const name of options.traces) {
    const { trace, golden } = traceFiles(name);
    const c = { replayCpu: [], replayWall: [], parseCpu: [], cpu: [], wall: [] };
    const model = { replayCpu: [], replayWall: [], parseCpu: [], cpu: [], wall: [] };
    let ops = 0;
    for (let round = 0; round < options.rounds; round++) {
      process.stderr.write(`${name}: round ${round + 1} of ${options.rounds}\n`);
      const sides = [
        [c, options.harness, [trace], ['--bench', String(options.runs)], 'C'],
        [model, process.execPath, [cli, 'iova-trace', trace, '--kernel', options.kernel], ['--bench', '--runs', String(options.runs)], 'model'],
      ];
      for (const [into, command, args, benchArgs, label] of sides) {
        const timing = inProcess(command, [...args, ...benchArgs], golden, `${label} ${name} --bench`);
        ops = timing.ops;
        into.replayCpu.push(timing.replayCpu);
        into.replayWall.push(timing.replayWall);
        into.parseCpu.push(timing.parseCpu);
        const whole = wholeProcess(command, args, golden, join(scratch, 'out'), `${label} ${name}`);
        into.cpu.push(whole.cpu);
        into.wall.push(whole.wall);
      }
    }
    rows.push({ name, ops, c, model });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const buildInfoFile = join(dirname(options.harness), 'build-info.txt');
const buildInfo = existsSync(buildInfoFile) ? readFileSync(buildInfoFile, 'utf8').trim().split('\n') : ['(no build-info.txt beside the harness)'];
const commit = (() => {
  try {
    return execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD']).toString().trim();
  } catch {
    return 'unknown';
  }
})();
const ns = (x) => x.toFixed(0);
const s = (x) => x.toFixed(3);
const ratio = (model, c) => `${(model / c).toFixed(2)}x`;
const cell = (key, format) => (row) => {
  const c = median(row.c[key]);
  const m = median(row.model[key]);
  return `${format(c)} / ${format(m)} (${ratio(m, c)})`;
};

const out = [];
out.push(`Side by side, ${startedAt.toISOString()} to ${new Date().toISOString()}; load average ${loadBefore} before, ${loadAverage()} after (1, 5, 15 min).`);
out.push(`Model: iovasim ${commit}, kernel profile ${options.kernel}, Node ${process.version}. C: ${options.harness}, ${buildInfo[0]}.`);
for (const line of buildInfo.slice(1)) out.push(`  ${line}`);
out.push(`${options.rounds} rounds per trace (C then model, alternating); in-process figures are each process's median of ${options.runs} runs; the table gives the median over rounds; every output was byte-identical to ${options.kernel}/TRACE.out.`);
out.push('');
out.push('| trace | ops | replay, CPU ns/op: C / model (model/C) | replay, wall ns/op: C / model | parse, CPU ns/op: C / model | whole process, CPU s: C / model | whole process, wall s: C / model |');
out.push('|---|---|---|---|---|---|---|');
for (const row of rows) {
  out.push(`| ${options.kernel} \`${row.name}\` | ${row.ops.toLocaleString('en-US')} | ${cell('replayCpu', ns)(row)} | ${cell('replayWall', ns)(row)} | ${cell('parseCpu', ns)(row)} | ${cell('cpu', s)(row)} | ${cell('wall', s)(row)} |`);
}
process.stdout.write(out.join('\n') + '\n');
