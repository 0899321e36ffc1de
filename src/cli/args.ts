/**
 * The command-line parser every command shares: node's `util.parseArgs` tokenises (`--name value`,
 * `--name=value`, boolean `--flag`, `-h`, `--` ending the options), and this module checks the
 * tokens against the command's specs, so that every error names the option as the user typed it
 * (`unknown option --kernal`, `-x`). Unknown options are errors, never ignored.
 *
 * `-h` / `--help` anywhere before `--` short-circuits: the result is `{ help: true }` with nothing
 * else checked, so `iovasim run -h` prints help even next to a bad option and never reads a file.
 * Messages carry no command prefix: the CLI adds `iovasim COMMAND: ` once.
 */
import { parseArgs as tokenise } from 'node:util';
import { UsageError } from '../errors.js';

export interface OptionSpec {
  /** Takes a value (`--kernel 7.0`) or is a flag (`--bench`). */
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly default?: string | boolean;
  /** A one-letter alias (`-V`); `help` always has `-h`. */
  readonly short?: string;
  /** A string option that may be given several times: the values are joined with commas. */
  readonly repeatable?: boolean;
}

export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Record<string, string | boolean | undefined>;
}

function isHelp(arg: string): boolean {
  return arg === '--help' || arg === '-h';
}

/** True when argv asks for help (`-h` or `--help` before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (isHelp(arg)) return true;
  }
  return false;
}

/**
 * Parses argv against specs. `command` is kept for callers written against the earlier parser; it
 * is no longer put into messages (the CLI prefixes them once).
 */
export function parseArgs(_command: string, argv: readonly string[], specs: Record<string, OptionSpec>): ParsedArgs {
  const options: Record<string, string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(specs)) options[name] = spec.default;
  if (wantsHelp(argv)) return { positionals: [], options: { ...options, help: true } };

  const shorts = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short !== undefined) shorts.set(spec.short, name);
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) config[name] = spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short };
  const { tokens } = tokenise({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });

  const positionals: string[] = [];
  const given = new Set<string>();
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const typed = token.rawName;
    const name = typed.startsWith('--') ? token.name : shorts.get(token.name);
    const spec = name !== undefined && Object.prototype.hasOwnProperty.call(specs, name) ? specs[name] : undefined;
    if (name === undefined || spec === undefined) {
      const known = Object.keys(specs).map((n) => `--${n}`).join(', ');
      throw new UsageError(`unknown option ${typed}${known ? ` (known: ${known})` : ''}`);
    }
    if (spec.type === 'boolean') {
      if (token.inlineValue) throw new UsageError(`${typed} is a flag and takes no value`);
      options[name] = true;
      continue;
    }
    if (token.value === undefined || token.value === '') throw new UsageError(`${typed} needs a value`);
    options[name] = spec.repeatable === true && given.has(name) ? `${String(options[name])},${token.value}` : token.value;
    given.add(name);
  }
  return { positionals, options };
}

export function helpText(usage: string, specs: Record<string, OptionSpec>): string {
  const lines = [usage, ''];
  for (const [name, spec] of Object.entries(specs)) {
    const short = name === 'help' ? '-h, ' : spec.short !== undefined ? `-${spec.short}, ` : '';
    const left = `${short}--${name}${spec.type === 'string' ? ' VALUE' : ''}`;
    const def = spec.default !== undefined && spec.default !== false ? ` (default: ${String(spec.default)})` : '';
    lines.push(`  ${left.padEnd(24)} ${spec.description}${def}`);
  }
  return lines.join('\n') + '\n';
}

/** An option that must be a whole number above 0 (exact in a double); undefined when not given. */
export function positiveInteger(options: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const raw = options[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`--${name}: "${String(raw)}" is not a whole number above 0`);
  return value;
}
