#!/usr/bin/env node
// The `iovasim` executable: runs the CLI with the process's arguments and streams.
import type { CommandIo } from './command.js';
import { main } from './cli.js';

// A reader that stops early (`iovasim … | head`) closes the pipe: stop quietly, as other Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

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
