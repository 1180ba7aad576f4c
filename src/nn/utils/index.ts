/** @file tg.nn.utils, as torch.nn.utils: `rnn` (packed sequences). */
export * as rnn from './rnn';
