// The subcommands' flags as tables read by one small parser. The wording of errors, what counts as
// a value and what help does stay with each command, so each keeps the behaviour its users know.

/** What help returns to end parsing; the command decides where the usage goes and the exit code. */
export const HELP = Symbol('help');

/** What ends parsing early: a usage error naming the flag and what would be valid, or HELP. */
export type Stop = string | typeof HELP;

/** `S` is what the flag can stop parsing with; a command whose help does not stop parsing has no HELP. */
export interface Flag<A, S = Stop> {
  /** Every spelling of the flag, as `-f` and `--filename`. */
  names: readonly string[];
  /** Whether the next argument is the flag's value; a switch takes none. @default true */
  takesValue?: boolean;
  /** Records the flag in `args`; a Stop ends parsing (an invalid value, or help). A switch gets ''. */
  set: (args: A, value: string, flag: string) => S | undefined;
}

export interface FlagTable<A, S = Stop> {
  flags: readonly Flag<A, S>[];
  /** Whether an argument can be a flag's value; else the flag "needs a value". @default any argument */
  isValue?: (arg: string) => boolean;
  /** An argument that names no flag: a positional argument recorded in `args`, or a Stop. */
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

/** parseFlagTable records `argv` in `args`, which holds the defaults, and returns it; or the Stop that ended parsing. */
export function parseFlagTable<A extends object, S>(argv: readonly string[], table: FlagTable<A, S>, args: NoInfer<A>): A | S | string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const flag = table.flags.find((f) => f.names.includes(arg));
    let stop: S | undefined;
    if (flag === undefined) stop = table.other(arg, args, argv[i + 1]);
    else if (flag.takesValue === false) stop = flag.set(args, '', arg);
    else {
      const value = argv[++i];
      if (value === undefined || table.isValue?.(value) === false) return `${arg} needs a value`;
      stop = flag.set(args, value, arg);
    }
    if (stop !== undefined) return stop;
  }
  return args;
}
