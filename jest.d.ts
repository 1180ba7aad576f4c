// tapegrad/jest's types for TypeScript's older module resolution (node10), which does not read package.json "exports".
export * from './dist/cjs/jest';
