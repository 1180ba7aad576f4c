/**
 * @file The model families `tapegrad train --model` builds through the training session (SPEC §17),
 * by name. `mlp` and `cnn` are the classic classifiers of src/train/models.ts and run through
 * src/cli/train.ts; every other family is one file in this folder.
 */
import type { Family } from '../family';
import { AUTOENCODER, VAE } from './autoencoder';
import { gan } from './gan';
import { transformer } from './transformer';

export const FAMILIES: Record<string, Family> = {
  autoencoder: AUTOENCODER,
  vae: VAE,
  gan,
  transformer,
};
