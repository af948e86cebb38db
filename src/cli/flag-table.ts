// The subcommands' flags as tables. node:util's parseArgs splits the command line as users of
// other CLIs expect (`--flag value`, `--flag=value`, `-fVALUE`, grouped switches, `--` before
// positional arguments); each table says what a flag records and words its errors, so each command
// keeps the messages its users know. `bulkhead completion` reads the same tables, so the shell
// completion cannot drift from what the commands parse.
import { parseArgs } from 'node:util';

/** What help returns to end parsing; the command decides where the usage goes and the exit code. */
export const HELP = Symbol('help');

/** What ends parsing early: a usage error naming the flag and what would be valid, or HELP. */
export type Stop = string | typeof HELP;

/** What shell completion offers for a flag's value, besides a fixed list of `values`. */
export type ValueKind = 'file' | 'directory';

/** `S` is what the flag can stop parsing with; a command whose help does not stop parsing has no HELP. */
export interface Flag<A, S = Stop> {
  /** Every spelling of the flag, as `-f` and `--filename`: at most one `-x` and one `--long`. */
  names: readonly string[];
  /** Whether the flag takes a value (`--flag value` or `--flag=value`); a switch takes none. @default true */
  takesValue?: boolean;
  /** The values the flag takes when they are a fixed list, for shell completion. */
  values?: readonly string[];
  /** Files or directories, for shell completion of the value. */
  valueKind?: ValueKind;
  /** Records the flag in `args`; a Stop ends parsing (an invalid value, or help). A switch gets ''. */
  set: (args: A, value: string, flag: string) => S | undefined;
}

export interface FlagTable<A, S = Stop> {
  flags: readonly Flag<A, S>[];
  /** Whether an argument can be a flag's value; else the flag "needs a value". @default any argument */
  isValue?: (arg: string) => boolean;
  /**
   * An argument that names no flag: a positional argument recorded in `args`, or a Stop. An
   * unknown flag comes as the user spelled it (`--bogus`), with `next` the argument after it.
   */
  other: (arg: string, args: A, next: string | undefined) => S | undefined;
}

/** -h and --help end parsing with HELP. */
export const helpFlag: Flag<unknown> = { names: ['-h', '--help'], takesValue: false, set: () => HELP };

/**
 * unknownPairFlag is `other` for commands whose arguments are FLAG VALUE pairs (run, diff): a last
 * argument lacks its value before it is an unknown flag, as those commands have always reported.
 */
export function unknownPairFlag(arg: string, _args: unknown, next: string | undefined): Stop {
  return next === undefined ? `${arg} needs a value` : `unknown flag ${arg}`;
}

type ParseOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** One piece of the command line as parseArgs splits it. */
interface Token {
  kind: 'option' | 'positional' | 'option-terminator';
  index: number;
  name?: string;
  rawName?: string;
  value?: string | boolean;
}

/** The parseArgs options of a table, and its flags by option name. */
function optionsOf<A, S>(flags: readonly Flag<A, S>[]): { options: ParseOptions; byName: Map<string, Flag<A, S>> } {
  const options: ParseOptions = {};
  const byName = new Map<string, Flag<A, S>>();
  for (const flag of flags) {
    const long = flag.names.find((n) => n.startsWith('--'))?.slice(2);
    const short = flag.names.find((n) => /^-[^-]$/.test(n))?.slice(1);
    // A flag with only a short name is keyed by its letter: parseArgs maps `-x` to option x.
    const name = long ?? short;
    if (name === undefined || flag.names.length > 2) throw new Error(`flag ${flag.names.join(' ')}: give at most one -x and one --long name`);
    options[name] = { type: flag.takesValue === false ? 'boolean' : 'string', ...(long !== undefined && short !== undefined ? { short } : {}) };
    byName.set(name, flag);
  }
  return { options, byName };
}

/** Records one known flag; or the Stop its value calls for. */
function setFlag<A, S>(flag: Flag<A, S>, token: Token, isValue: ((arg: string) => boolean) | undefined, args: A): S | string | undefined {
  const raw = token.rawName ?? '';
  if (flag.takesValue === false) return token.value === undefined ? flag.set(args, '', raw) : `${raw} takes no value`;
  if (typeof token.value !== 'string' || isValue?.(token.value) === false) return `${raw} needs a value`;
  return flag.set(args, token.value, raw);
}

/** parseFlagTable records `argv` in `args`, which holds the defaults, and returns it; or the Stop that ended parsing. */
export function parseFlagTable<A extends object, S>(argv: readonly string[], table: FlagTable<A, S>, args: NoInfer<A>): A | S | string {
  const { options, byName } = optionsOf(table.flags);
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens as Token[]) {
    if (token.kind === 'option-terminator') continue;
    const next = argv[token.index + 1];
    const flag = token.name === undefined ? undefined : byName.get(token.name);
    let stop: S | string | undefined;
    if (token.kind === 'positional') stop = table.other(String(token.value), args, next);
    else if (flag === undefined) stop = table.other(token.rawName ?? '', args, next);
    else stop = setFlag(flag, token, table.isValue, args);
    if (stop !== undefined) return stop;
  }
  return args;
}

/** What shell completion needs of a command: its flags and, for commands with actions, those. */
export interface CommandCompletion {
  flags: readonly Pick<Flag<never, unknown>, 'names' | 'takesValue' | 'values' | 'valueKind'>[];
  /** The first positional argument's values (`local-cluster up|down|…`). */
  actions?: readonly string[];
}
