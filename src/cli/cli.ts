/**
 * The iovasim command line: a thin shell over the library. Each subcommand lives in ./commands/.
 */
import type { Command, CommandIo } from './command.js';
import { UserError } from './errors.js';
import { commands } from './commands/index.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = ['usage: iovasim COMMAND [ARGS] (iovasim COMMAND --help for its options)', '', 'commands:'];
  for (const command of commands) lines.push(`  ${command.name.padEnd(width)}  ${command.summary}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`iovasim: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UserError) {
      io.stderr.write(`iovasim ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
