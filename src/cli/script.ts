/**
 * @file Loading a user's script for `tapegrad gradcheck --script` and `tapegrad graph --script`:
 * its default export (or module.exports). JavaScript files load as they are; a TypeScript file is
 * compiled by the ts-node of the user's own project (tapegrad itself needs no TypeScript tooling at
 * run time), and the error says how to get it when there is none.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

export class ScriptError extends Error {}

function loadTsNode(file: string): void {
  let tsNode: string;
  try {
    tsNode = require.resolve('ts-node', { paths: [path.dirname(file), process.cwd()] });
  } catch {
    throw new ScriptError(
      `${file} is TypeScript, and no ts-node was found from it or from ${process.cwd()}: ` +
        'install it in your project (npm install --save-dev ts-node typescript) or pass a .js file',
    );
  }
  const registered = (process as unknown as Record<symbol, unknown>)[Symbol.for('ts-node.register.instance')];
  if (registered === undefined) {
    (require(tsNode) as { register(opts: object): void }).register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });
  }
}

/** The script's default export (module.exports without one). */
export async function loadScript(file: string): Promise<unknown> {
  const resolved = path.resolve(file);
  if (!fs.existsSync(resolved)) throw new ScriptError(`${file} does not exist`);
  if (/\.[cm]?tsx?$/.test(resolved)) loadTsNode(resolved);
  let mod: { default?: unknown };
  try {
    mod = /\.mjs$/.test(resolved) ? await import(pathToFileURL(resolved).href) : require(resolved);
  } catch (e) {
    throw new ScriptError(`${file} failed to load: ${(e as Error).message}`);
  }
  return mod !== null && typeof mod === 'object' && 'default' in mod ? mod.default : mod;
}
