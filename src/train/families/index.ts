/**
 * @file The model families `tapegrad train --model` builds through the training session (SPEC §17),
 * by name. `mlp` and `cnn` are the classic classifiers of src/train/models.ts and run through
 * src/cli/train.ts; every other family is one file in this folder.
 */
import type { Family } from '../family';
import { AUTOENCODER, VAE } from './autoencoder';
import { dbnFamily } from './dbn';
import { gan } from './gan';
import { sequenceClassifierFamily } from './recurrent-digits';

export const FAMILIES: Record<string, Family> = {
  autoencoder: AUTOENCODER,
  vae: VAE,
  gan,
  // fam-classify: the deep belief network, and the image side of rnn/lstm/gru (digits, fashion-mnist;
  // the text side joins these three names by dataset).
  dbn: dbnFamily,
  rnn: sequenceClassifierFamily('rnn'),
  lstm: sequenceClassifierFamily('lstm'),
  gru: sequenceClassifierFamily('gru'),
};
