import type { Command } from '../command.js';
import { allocBenchCommand } from './alloc-bench.js';
import { demoCommand } from './demo.js';
import { dmaTraceCommand } from './dma-trace.js';
import { iovaTraceCommand } from './iova-trace.js';
import { limitsCommand } from './limits.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { seedStoryCommand } from './seed-story.js';
import { simulateCommand } from './simulate.js';
import { sweepCommand } from './sweep.js';
import { workerCommand } from './worker.js';

/** Every subcommand, in the order `iovasim --help` lists them. */
export const commands: readonly Command[] = [seedStoryCommand, runCommand, replayCommand, sweepCommand, workerCommand, simulateCommand, limitsCommand, allocBenchCommand, iovaTraceCommand, dmaTraceCommand, demoCommand];
