/**
 * @file Saving a model's state dict to a JSON file and loading it back. The file holds the state dict
 * itself, so `module.loadStateDict(JSON.parse(text))` reads it too; the few values JSON cannot
 * write as numbers (NaN, ±Infinity, -0) are written as strings and read back exactly.
 */
import { readText, writeText } from '../platform/files';
import { Module, StateDict } from './module';

const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

function encode(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return v;
}

/** The state dict as JSON text, one entry per line. */
export function stateDictToJson(sd: StateDict): string {
  const lines = Object.entries(sd).map(
    ([key, { shape, data }]) => `  ${JSON.stringify(key)}: ${JSON.stringify({ shape, data: data.map(encode) })}`,
  );
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** Parses state-dict JSON, turning the string-encoded special values back into numbers. */
export function stateDictFromJson(text: string): StateDict {
  return JSON.parse(text, (key, value) =>
    key === 'data' && Array.isArray(value) ? value.map((v) => (typeof v === 'string' && v in SPECIAL ? SPECIAL[v] : v)) : value,
  );
}

/** Writes module.stateDict() to `file` as JSON (creating its folder). */
export function save(module: Module, file: string): void {
  writeText(file, stateDictToJson(module.stateDict()));
}

/** Loads a file written by save() into `module` in place and returns the module. */
export function load<M extends Module>(module: M, file: string): M {
  let text: string;
  try {
    text = readText(file);
  } catch (e) {
    throw new Error(`nn.load: cannot read ${file}: ${(e as Error).message}`);
  }
  let sd: StateDict;
  try {
    sd = stateDictFromJson(text);
  } catch (e) {
    throw new Error(`nn.load: ${file} is not valid JSON: ${(e as Error).message}`);
  }
  try {
    module.loadStateDict(sd);
  } catch (e) {
    throw new Error(`nn.load: ${file}: ${(e as Error).message}`);
  }
  return module;
}
