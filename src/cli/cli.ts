/**
 * The iovasim command line: a thin shell over the library. The command table (./commands/index.ts)
 * loads a command's module only when it runs, so `--help` and `--version` start in milliseconds.
 * Every error a user can fix is printed once as `iovasim COMMAND: message` with its exit code.
 */
import type { CommandIo } from './command.js';
import { commands } from './commands/index.js';
import { UserError } from '../errors.js';
import { iovasimVersion } from './version.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = ['usage: iovasim COMMAND [ARGS] (iovasim COMMAND --help for its options)', '       iovasim --version', '', 'commands:'];
  for (const command of commands) lines.push(`  ${command.name.padEnd(width)}  ${command.summary}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  let [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`iovasim ${iovasimVersion()}\n`);
    return 0;
  }
  // `iovasim help COMMAND` is `iovasim COMMAND --help`.
  if (name === 'help') [name, rest] = [rest[0], ['--help']];
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    io.stderr.write(`iovasim: ${name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`}\n\n${usage()}`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UserError) {
      // Messages written for the earlier parser may still start with the command's name.
      const message = error.message.startsWith(`${entry.name}: `) ? error.message.slice(entry.name.length + 2) : error.message;
      io.stderr.write(`iovasim ${entry.name}: ${message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
