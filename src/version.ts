/**
 * @file The package's version (SPEC §10 `tg.version`). Kept as a literal so that no entry point —
 * CommonJS, ESM, the browser bundle — has to find package.json at run time; `npm version` rewrites
 * it (scripts/sync-version.js) and a test fails when it and package.json disagree.
 */
export const version = '0.1.0';
