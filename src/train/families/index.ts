/**
 * @file The model families `tapegrad train --model` builds through the training session (SPEC §17),
 * by name. `mlp` and `cnn` are the classic classifiers of src/train/models.ts and run through
 * src/cli/train.ts; every other family is one file in this folder.
 */
import type { Family } from '../family';
import { AUTOENCODER, VAE } from './autoencoder';
import { dbnFamily } from './dbn';
import { gan } from './gan';
import { charLmFamily } from './char-lm';
import { sequenceClassifierFamily } from './recurrent-digits';
import { transformer } from './transformer';

export const FAMILIES: Record<string, Family> = {
  autoencoder: AUTOENCODER,
  vae: VAE,
  gan,
  // fam-classify: the deep belief network, and the image side of rnn/lstm/gru (digits, fashion-mnist);
  // fam-text: the text side of the same three names (--dataset text, char-lm.ts), and the transformer.
  dbn: dbnFamily,
  rnn: charLmFamily('rnn', sequenceClassifierFamily('rnn')),
  lstm: charLmFamily('lstm', sequenceClassifierFamily('lstm')),
  gru: charLmFamily('gru', sequenceClassifierFamily('gru')),
  transformer,
};
