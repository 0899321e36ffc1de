import type { Command, CommandIo } from '../../src/cli/command.js';
import { UserError } from '../../src/cli/errors.js';
import { StringSink } from '../support/capture.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one command in-process as src/cli/cli.ts main() does (a UserError becomes its message on
 * stderr and its exit code; anything else propagates), with captured output.
 */
export async function runCommand(command: Command, argv: string[], isTTY = false): Promise<CommandResult> {
  const stdout = new StringSink();
  const stderr = new StringSink();
  const io: CommandIo = { stdout, stderr, isTTY };
  let code: number;
  try {
    code = await command.run(argv, io);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    stderr.write(`iovasim ${command.name}: ${error.message}\n`);
    code = error.exitCode;
  }
  return { code, stdout: stdout.text, stderr: stderr.text };
}
