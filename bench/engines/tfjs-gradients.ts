/**
 * @file Registers TensorFlow.js's gradient functions. tfjs-core's CommonJS bundle (what `require`
 * loads in Node) leaves them out — the umbrella @tensorflow/tfjs package adds them from ES module
 * sources whose extensionless imports Node cannot resolve — so those sources are transpiled to
 * CommonJS on load. They share the bundle's engine and registries through tfjs's globals.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

type Loader = (module: { _compile(code: string, file: string): void }, file: string) => void;

const extensions = (require('module') as { _extensions: Record<string, Loader> })._extensions;
const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist') + path.sep;
const plainJs = extensions['.js'];
extensions['.js'] = (module, file) => {
  if (!file.startsWith(dist) || path.basename(file).startsWith('tf-core')) return plainJs(module, file);
  const source = fs.readFileSync(file, 'utf8');
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
    fileName: file,
  });
  module._compile(out.outputText, file);
};
require(path.join(dist, 'register_all_gradients.js'));
extensions['.js'] = plainJs;
