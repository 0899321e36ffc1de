/** What every CLI subcommand exports. Output goes to the given streams so tests can capture it. */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly isTTY: boolean;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Returns the process exit code. Throws UserError for anything the user can fix. */
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}
