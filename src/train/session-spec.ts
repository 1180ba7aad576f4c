/**
 * @file run.json of a model-family run (format 2): the family, the options it was created with, and
 * what the family asked to keep (Note [a family is rebuilt from its options] in family.ts). The
 * mlp and cnn runs tapegrad wrote before they trained through the session are format 1
 * (src/train/run.ts, read by src/train/classic-run.ts); `runFormat` tells the two apart.
 */
import * as path from 'node:path';
import { version } from '../version';
import type { Family, FamilyOptions } from './family';
import { FAMILIES } from './families';
import { OPTIMIZERS, SCHEDULERS } from './options';
import { RUN_FILES } from './run';
import { confine, FieldChecker, readBounded, runFile } from './validate';

export const SESSION_FILES = { weights: 'model.safetensors' } as const;

export interface SessionSpec {
  format: 'tapegrad-run';
  formatVersion: 2;
  tapegrad: string;
  family: string;
  options: FamilyOptions;
  model: { architecture: string; parameters: number };
  /** What the family's spec() returned. */
  saved: Record<string, unknown>;
  /** The file with the weights (safetensors, keys as the checkpoint's). */
  weights: string;
}

const MAX_SPEC_BYTES = 16 << 20;

/**
 * 2 for a run of the training session, 1 for the older mlp/cnn run directories (src/train/run.ts);
 * throws as readSpec does for no run.json, or one larger than `maxBytes`.
 */
export function runFormat(dir: string, maxBytes = MAX_SPEC_BYTES): number {
  const file = runFile(dir, RUN_FILES.spec, 'the run description');
  const check = new FieldChecker(file);
  const spec = check.json(readBounded(file, maxBytes)) as Record<string, unknown>;
  check.object(spec, '');
  return spec.formatVersion === 2 ? 2 : 1;
}

export function sessionSpecJson(
  family: Family,
  options: FamilyOptions,
  model: SessionSpec['model'],
  saved: Record<string, unknown>,
): string {
  const spec: SessionSpec = {
    format: 'tapegrad-run',
    formatVersion: 2,
    tapegrad: version,
    family: family.name,
    options,
    model,
    saved,
    weights: SESSION_FILES.weights,
  };
  return `${JSON.stringify(spec, null, 2)}\n`;
}

/** Reads and validates a family run's run.json: every field checked, errors naming the file and the field. */
export function readSessionSpec(dir: string): { spec: SessionSpec; family: Family } {
  const file = runFile(dir, RUN_FILES.spec, 'the run description');
  const check = new FieldChecker(file);
  const spec = check.json(readBounded(file, MAX_SPEC_BYTES)) as Record<string, unknown>;
  check.object(spec, '');
  check.equal(spec, 'format', 'tapegrad-run');
  check.equal(spec, 'formatVersion', 2);
  check.string(spec.tapegrad, 'tapegrad');
  const name = check.string(spec.family, 'family', Object.keys(FAMILIES));
  const family = FAMILIES[name];
  check.object(spec.options, 'options');
  const o = spec.options as Record<string, unknown>;
  check.string(o.model, 'options.model', [name]);
  check.string(o.dataset, 'options.dataset', family.datasets);
  if (o.dataDir !== null) check.string(o.dataDir, 'options.dataDir');
  if (o.textFile !== null) check.string(o.textFile, 'options.textFile');
  check.integer(o.seed, 'options.seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (o.limit !== null) check.integer(o.limit, 'options.limit', 2, Number.MAX_SAFE_INTEGER);
  check.hyper(o, 'options', OPTIMIZERS);
  if (o.scheduler !== undefined) check.string(o.scheduler, 'options.scheduler', SCHEDULERS);
  if (o.clipGradNorm !== undefined && o.clipGradNorm !== null)
    check.number(o.clipGradNorm, 'options.clipGradNorm', { above: 0, finite: true });
  check.object(spec.model, 'model');
  const m = spec.model as Record<string, unknown>;
  check.string(m.architecture, 'model.architecture');
  check.integer(m.parameters, 'model.parameters', 1, 2 ** 31);
  check.object(spec.saved, 'saved');
  check.tree(spec.saved, 'saved');
  try {
    confine(dir, spec.weights, 'weights', false);
  } catch (e) {
    throw new Error(`${path.join(dir, RUN_FILES.spec)}: field ${(e as Error).message}`);
  }
  return { spec: spec as unknown as SessionSpec, family };
}
