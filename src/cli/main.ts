#!/usr/bin/env node
// The `iovasim` executable: runs the CLI with the process's arguments and streams.
import type { CommandIo } from './command.js';
import { main } from './cli.js';

const io: CommandIo = { stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stdout.isTTY) };
main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`iovasim: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 70;
  },
);
