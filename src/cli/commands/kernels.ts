/**
 * `iovasim kernels [VERSION] [--from VERSION]`: the one table of kernel changes (src/kernel/changes.ts)
 * as text. Without a version: every row. With one: what that kernel has and lacks, marking what
 * arrived in it. With `--from A`: what changed going from A to VERSION.
 */
import { changesBetween, hasChange, KERNEL_CHANGES, type KernelChange } from '../../kernel/changes.js';
import { KernelVersionError, parseKernelVersion, type KernelVersion } from '../../kernel/version.js';
import { helpText, parseArgs, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';

const OPTIONS: Record<string, OptionSpec> = {
  from: { type: 'string', description: 'print only what changed from this version to VERSION' },
  help: { type: 'boolean', description: 'show this help' },
};

function where(change: KernelChange): string {
  const stable = Object.entries(change.stable).map(([line, point]) => `${line}.${point}`);
  return [change.mainline, ...stable].join(', ');
}

const ID_WIDTH = Math.max(...KERNEL_CHANGES.map((change) => change.id.length));
const WHERE_WIDTH = Math.max(...KERNEL_CHANGES.map((change) => where(change).length));
const COMMIT_WIDTH = Math.max(...KERNEL_CHANGES.map((change) => change.commit.length));

function row(change: KernelChange, mark: string): string {
  return `${mark}${change.id.padEnd(ID_WIDTH)}  ${where(change).padEnd(WHERE_WIDTH)}  ${change.commit.padEnd(COMMIT_WIDTH)}  ${change.effect}\n`;
}

function version(text: string, option: string): KernelVersion {
  try {
    return parseKernelVersion(text);
  } catch (error) {
    if (error instanceof KernelVersionError) throw new UsageError(`${option}: ${error.message}`);
    throw error;
  }
}

/** True when the version is the first of its line (mainline or stable point) to carry the change. */
function arrivedIn(change: KernelChange, v: KernelVersion): boolean {
  const line = `${v.major}.${v.minor}`;
  return (v.patch === 0 && change.mainline === line) || change.stable[line] === v.patch;
}

export const kernelsCommand: Command = {
  name: 'kernels',
  summary: 'the kernel changes iovasim models: commit, mainline release, stable backports; what a version has',
  async run(argv, io) {
    const { options, positionals } = parseArgs('kernels', argv, OPTIONS);
    if (options.help === true) {
      io.stdout.write(helpText('usage: iovasim kernels [VERSION] [--from VERSION]', OPTIONS));
      return 0;
    }
    if (positionals.length > 1) throw new UsageError(`expected at most one VERSION, got ${positionals.length}`);
    const header = `  ${'change'.padEnd(ID_WIDTH)}  ${'mainline, stable'.padEnd(WHERE_WIDTH)}  ${'commit'.padEnd(COMMIT_WIDTH)}  effect\n`;
    if (positionals.length === 0) {
      if (options.from !== undefined) throw new UsageError('--from needs a VERSION to compare with');
      io.stdout.write(header);
      for (const change of KERNEL_CHANGES) io.stdout.write(row(change, '  '));
      return 0;
    }
    const v = version(positionals[0], 'VERSION');
    if (typeof options.from === 'string') {
      const from = version(options.from, '--from');
      const changes = changesBetween(from, v);
      const gone = changesBetween(v, from);
      io.stdout.write(`from ${from.text} to ${v.text}: ${changes.length} change${changes.length === 1 ? '' : 's'} added, ${gone.length} not carried\n`);
      if (changes.length + gone.length > 0) io.stdout.write(header);
      for (const change of changes) io.stdout.write(row(change, '+ '));
      for (const change of gone) io.stdout.write(row(change, '- '));
      return 0;
    }
    io.stdout.write(`kernel ${v.text} ('+' has it, '*' arrived in this release, ' ' lacks it)\n${header}`);
    for (const change of KERNEL_CHANGES) {
      const mark = hasChange(v, change.id) ? (arrivedIn(change, v) ? '* ' : '+ ') : '  ';
      io.stdout.write(row(change, mark));
    }
    return 0;
  },
};
