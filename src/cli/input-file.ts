// Reading a file the user named on the command line: one that cannot be read is the command's one
// error line, `FILE: cannot read: CODE`, never a stack trace.
import { readFile } from 'node:fs/promises';
import { UserError } from './errors.js';

export async function readInputFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new UserError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

export async function readInputText(file: string): Promise<string> {
  return (await readInputFile(file)).toString('utf8');
}
