/**
 * @file The model families `tapegrad train --model` builds through the training session (SPEC §17),
 * by name. `mlp` and `cnn` are the classic classifiers of src/train/models.ts and run through
 * src/cli/train.ts; every other family is one file in this folder.
 */
import type { Family } from '../family';
import { AUTOENCODER, VAE } from './autoencoder';
import { dbnFamily } from './dbn';
import { charLmFamily } from './char-lm';
import { gan } from './gan';
import { sequenceClassifierFamily } from './recurrent-digits';
import { transformer } from './transformer';

export const FAMILIES: Record<string, Family> = {
  autoencoder: AUTOENCODER,
  vae: VAE,
  gan,
  // rnn, lstm and gru are one family each with two tasks, picked by --dataset: the images read row by
  // row (recurrent-digits.ts; digits is the default) and the text task's character models (char-lm.ts).
  dbn: dbnFamily,
  rnn: charLmFamily('rnn', sequenceClassifierFamily('rnn')),
  lstm: charLmFamily('lstm', sequenceClassifierFamily('lstm')),
  gru: charLmFamily('gru', sequenceClassifierFamily('gru')),
  transformer,
};
