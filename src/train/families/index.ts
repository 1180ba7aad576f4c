/**
 * @file The model families `tapegrad train --model` builds through the training session (SPEC §17),
 * by name, each one file in this folder; `mlp` and `cnn` (classic.ts) are the classic classifiers of
 * src/train/models.ts.
 */
import type { Family } from '../family';
import { AUTOENCODER, VAE } from './autoencoder';
import { classicFamily } from './classic';
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
  // The classic classifiers (the default run is `--model cnn` on the digits).
  mlp: classicFamily('mlp'),
  cnn: classicFamily('cnn'),
};
