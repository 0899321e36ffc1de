import { Writable } from 'node:stream';
import type { CommandIo } from '../../src/cli/command.js';
import { main } from '../../src/cli/cli.js';

/** A writable stream that keeps what is written to it as text. */
export class StringSink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output, as a user would see it. */
export async function runCli(argv: string[]): Promise<CliResult> {
  const stdout = new StringSink();
  const stderr = new StringSink();
  const io: CommandIo = { stdout, stderr, isTTY: false };
  const code = await main(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}
