/**
 * A small, strict command-line parser shared by the commands: `--name value`, `--name=value` and
 * boolean `--flag`. Unknown options are errors, never ignored.
 */
import { UsageError } from './errors.js';

export interface OptionSpec {
  /** Takes a value (`--kernel 7.0`) or is a flag (`--bench`). */
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly default?: string | boolean;
}

export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Record<string, string | boolean | undefined>;
}

export function parseArgs(command: string, argv: readonly string[], specs: Record<string, OptionSpec>): ParsedArgs {
  const positionals: string[] = [];
  const options: Record<string, string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(specs)) options[name] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = Object.prototype.hasOwnProperty.call(specs, name) ? specs[name] : undefined;
    if (spec === undefined) {
      const known = Object.keys(specs).map((n) => `--${n}`).join(', ');
      throw new UsageError(`${command}: unknown option --${name}${known ? ` (known: ${known})` : ''}`);
    }
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`${command}: --${name} is a flag and takes no value`);
      options[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || value === '') throw new UsageError(`${command}: --${name} needs a value`);
    options[name] = value;
  }
  return { positionals, options };
}

export function helpText(usage: string, specs: Record<string, OptionSpec>): string {
  const lines = [usage, ''];
  for (const [name, spec] of Object.entries(specs)) {
    const left = spec.type === 'string' ? `--${name} VALUE` : `--${name}`;
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
