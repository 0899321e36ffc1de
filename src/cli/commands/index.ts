import type { Command } from '../command.js';
import { demoCommand } from './demo.js';
import { iovaTraceCommand } from './iova-trace.js';

/** Every subcommand, in the order `iovasim --help` lists them. */
export const commands: readonly Command[] = [demoCommand, iovaTraceCommand];
