/**
 * @file Gradient cases for the shape ops of SPEC §14/§18 (split, chunk, unbind, narrow, repeat, tile,
 * squeeze, movedim, roll, flatten, unflatten, tril/triu, diagonal, outer, einsum, transpose's two-axis
 * form, permute, pad reflect). Each is linear in its input, so most cases square the result: the
 * gradient then depends on x and order 2 runs the backward of each backward rule. Ops returning
 * several pieces are checked on a weighted recombination, so each piece's gradient path matters.
 */
import * as tg from '../../index';
import type { Tensor } from '../../tensor/tensor';
import type { OpCase } from '../op-case';

const r = tg.rng('cases:shape-ops');

const normal = (...shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64', requiresGrad: true });
const square = (y: Tensor) => tg.mul(y, y);

/** Pieces recombined with distinct weights, flattened: a wrong piece-to-place mapping changes it. */
const recombine = (pieces: Tensor[]) => tg.concat(pieces.map((p, i) => p.reshape([-1]).mul(i + 1)));

export const shapeOpCases: OpCase[] = [
  { name: 'split size 2 axis 0', inputs: () => [normal(5, 2)], fn: (a) => square(recombine(tg.split(a, 2))) },
  { name: 'split sizes axis -1', inputs: () => [normal(2, 5)], fn: (a) => square(recombine(a.split([3, 0, 2], -1))) },
  { name: 'chunk 3 axis 1', inputs: () => [normal(2, 7)], fn: (a) => square(recombine(tg.chunk(a, 3, 1))) },
  { name: 'unbind axis -1', inputs: () => [normal(2, 3)], fn: (a) => square(recombine(tg.unbind(a, -1))) },
  { name: 'narrow negative start', inputs: () => [normal(3, 4)], fn: (a) => square(tg.narrow(a, 1, -3, 2)) },
  { name: 'repeat with a new leading axis', inputs: () => [normal(2, 3)], fn: (a) => square(tg.repeat(a, [2, 1, 2])) },
  { name: 'tile short reps', inputs: () => [normal(2, 3)], fn: (a) => square(tg.tile(a, [3])) },
  { name: 'squeeze all size-1 axes', inputs: () => [normal(1, 3, 1)], fn: (a) => square(tg.squeeze(a)) },
  { name: 'squeeze axis list', inputs: () => [normal(1, 3, 1)], fn: (a) => square(a.squeeze([0, -1])) },
  { name: 'movedim arrays', inputs: () => [normal(2, 3, 4)], fn: (a) => square(tg.movedim(a, [0, 1], [-1, 0])) },
  { name: 'roll flattened', inputs: () => [normal(2, 3)], fn: (a) => square(tg.roll(a, 4)) },
  { name: 'roll two axes', inputs: () => [normal(2, 3)], fn: (a) => square(a.roll([1, -1], [0, 1])) },
  { name: 'flatten startDim..endDim', inputs: () => [normal(2, 3, 2, 2)], fn: (a) => square(tg.flatten(a, 1, 2)) },
  { name: 'unflatten with -1', inputs: () => [normal(2, 6)], fn: (a) => square(tg.unflatten(a, -1, [3, -1])) },
  { name: 'tril k=0 on a batch', inputs: () => [normal(2, 3, 3)], fn: (a) => square(tg.tril(a)) },
  { name: 'tril k=-1 (linear alone)', inputs: () => [normal(3, 4)], fn: (a) => tg.tril(a, -1) },
  { name: 'triu k=1', inputs: () => [normal(3, 4)], fn: (a) => square(tg.triu(a, 1)) },
  { name: 'diagonal offset 1', inputs: () => [normal(3, 4)], fn: (a) => square(tg.diagonal(a, 1)) },
  { name: 'diagonal offset -1, axes 2,0', inputs: () => [normal(3, 2, 4)], fn: (a) => square(a.diagonal(-1, 2, 0)) },
  { name: 'outer', inputs: () => [normal(3), normal(2)], fn: (a, b) => tg.outer(a, b) },
  { name: 'outer, squared', inputs: () => [normal(3), normal(2)], fn: (a, b) => square(a.outer(b)) },
  { name: 'transpose two axes', inputs: () => [normal(2, 3, 4)], fn: (a) => square(tg.transpose(a, 0, -1)) },
  { name: 'permute', inputs: () => [normal(2, 3, 4)], fn: (a) => square(tg.permute(a, [1, 2, 0])) },
  {
    name: 'pad reflect',
    inputs: () => [normal(3, 4)],
    fn: (a) =>
      square(
        tg.pad(
          a,
          [
            [2, 1],
            [1, 3],
          ],
          { mode: 'reflect' },
        ),
      ),
  },
  { name: 'einsum matmul ij,jk->ik', inputs: () => [normal(2, 3), normal(3, 2)], fn: (a, b) => tg.einsum('ij,jk->ik', a, b) },
  { name: 'einsum trace ii', inputs: () => [normal(3, 3)], fn: (a) => square(tg.einsum('ii', a)) },
  { name: 'einsum diagonal ii->i', inputs: () => [normal(3, 3)], fn: (a) => square(tg.einsum('ii->i', a)) },
  {
    name: 'einsum batched, implicit',
    inputs: () => [normal(2, 2, 3), normal(2, 3, 2)],
    fn: (a, b) => tg.einsum('bij,bjk->bik', a, b),
  },
  {
    name: 'einsum ellipsis broadcast',
    inputs: () => [normal(2, 1, 2, 3), normal(3, 3, 2)],
    fn: (a, b) => tg.einsum('...ij,...jk->...ik', a, b),
  },
  {
    name: 'einsum three operands bn,anm,bm->ba',
    inputs: () => [normal(2, 3), normal(2, 3, 2), normal(2, 2)],
    fn: (a, b, c) => tg.einsum('bn,anm,bm->ba', a, b, c),
  },
  { name: 'einsum sum out ij->', inputs: () => [normal(2, 3)], fn: (a) => square(tg.einsum('ij->', a)) },
];
