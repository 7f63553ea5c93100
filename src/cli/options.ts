// A small, strict option parser: unknown options are errors, never ignored.
import { CliError } from './errors.ts';

export interface ParsedArguments {
  readonly positionals: string[];
  readonly options: Map<string, string | true>;
}

/** `valued` options take the next argument (or `--name=value`); `flags` take none. */
export function parseArguments(
  args: readonly string[],
  valued: readonly string[],
  flags: readonly string[],
  usage: string,
): ParsedArguments {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (flags.includes(name) && inline === undefined) {
      options.set(name, true);
    } else if (valued.includes(name)) {
      const value = inline ?? args[index + 1];
      if (value === undefined) throw new CliError(`--${name} needs a value\n${usage}`, 2);
      if (inline === undefined) index += 1;
      options.set(name, value);
    } else {
      throw new CliError(`unknown option --${name}\n${usage}`, 2);
    }
  }
  return { positionals, options };
}

export function integerOption(parsed: ParsedArguments, name: string, fallback: number, minimum = 1): number {
  const raw = parsed.options.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new CliError(`--${name} must be a whole number of at least ${minimum}, got "${String(raw)}"`, 2);
  }
  return value;
}
