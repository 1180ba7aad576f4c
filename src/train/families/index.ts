/**
 * @file The model families `tapegrad train --model` builds through the training session (SPEC §17),
 * by name. `mlp` and `cnn` are the classic classifiers of src/train/models.ts and run through
 * src/cli/train.ts; every other family is one file in this folder.
 */
import type { Family } from '../family';
import { AUTOENCODER, VAE } from './autoencoder';
import { gan } from './gan';
import { charLmFamily } from './char-lm';
import { transformer } from './transformer';

export const FAMILIES: Record<string, Family> = {
  autoencoder: AUTOENCODER,
  vae: VAE,
  gan,
  transformer,
  // The text task of rnn/lstm/gru (char-lm.ts); pass the digits classifier as the second argument once it is merged.
  rnn: charLmFamily('rnn'),
  lstm: charLmFamily('lstm'),
  gru: charLmFamily('gru'),
};
