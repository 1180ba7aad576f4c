/**
 * @file The argument handling every subcommand shares: parseArgs with tapegrad's one-line errors
 * (argsError), negative numbers as values (attachNegativeNumbers), and --help. A number back is the exit status (0 after help, 2 after a bad argument).
 */
import { parseArgs, ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommand<O extends Options>(
  command: string,
  args: string[],
  options: O,
  help: string,
): { values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] } | number {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (e) {
    console.error(`tapegrad ${command}: ${argsError(e, options as Record<string, { type: string }>)}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(help);
    return 0;
  }
  return parsed as never;
}

/** parseArgs's errors in tapegrad's words: one line naming the flag and what it takes. */
export function argsError(e: unknown, options: Record<string, { type: string }>): string {
  const err = e as { code?: string; message: string };
  const flags = Object.keys(options)
    .map((k) => `--${k}`)
    .join(', ');
  const named = /'(-[^' ]+)/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option '${named ?? '?'}' (options: ${flags})`;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'--([\w-]+)/.exec(err.message)?.[1];
    const spec = flag === undefined ? undefined : options[flag];
    return spec?.type === 'boolean' ? `--${flag} takes no value` : `--${flag ?? '?'} needs a value`;
  }
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return `unexpected argument ${/'([^']*)'/.exec(err.message)?.[0] ?? ''} (options: ${flags})`.replace(/ {2,}/g, ' ');
  return err.message.split('\n')[0];
}

/**
 * `--epochs -3` → `--epochs=-3`: parseArgs takes a value starting with a dash for a mistyped
 * option, which would hide the real problem (a negative number) behind "argument is ambiguous".
 */
export function attachNegativeNumbers(args: string[], options: Record<string, { type: string }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : '';
    const spec = options[name];
    if (spec?.type === 'string' && i + 1 < args.length && /^-[\d.]/.test(args[i + 1])) {
      out.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}
