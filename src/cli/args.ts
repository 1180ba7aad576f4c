/**
 * @file The argument handling every subcommand shares: parseArgs with tapegrad's one-line errors,
 * and --help. A number back is the exit status (0 after help, 2 after a bad argument).
 */
import { parseArgs, ParseArgsConfig } from 'node:util';
import { argsError } from '../train/options';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommand<O extends Options>(command: string, args: string[], options: O, help: string):
  { values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] } | number {
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
