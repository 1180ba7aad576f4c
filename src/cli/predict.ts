/**
 * @file `tapegrad predict RUN_DIR FILE...`: class probabilities from a saved run for images — PNG
 * or JPEG of any size (decoded, converted to grey and resized: src/train/image-decode.ts), MNIST-format IDX
 * image files, or CSV rows of raw pixel values — preprocessed as the run was (Note [preprocessing]
 * in src/train/run.ts). Classifier runs (mlp, cnn) and model-family runs that classify images (rnn,
 * lstm, gru on images; dbn) alike. Exit 0, 2 for bad arguments or files.
 */
import * as fs from 'node:fs';
import { parseIdxImages } from '../data/idx';
import { decodeGrey, resizeGrey } from '../train/image-decode';
import { imageHeader, MAX_IMAGE_PIXELS } from '../train/image-header';
import { Tensor } from '../tensor/tensor';
import { isClassicRun, loadRun } from '../train/classic-run';
import { loadSession } from '../train/session';
import { runFormat } from '../train/session-spec';
import { parseCommand } from './args';

const HELP = `usage: tapegrad predict RUN_DIR FILE... [--top K] [--json]

Prints the predicted class and the top probabilities for each image, with the model saved in
RUN_DIR. FILE is an image (PNG, JPEG, BMP, GIF, TIFF of up to ${MAX_IMAGE_PIXELS / 1e6} megapixels, checked
from its header before decoding; it is converted to grey and resized to the model's input; a light background is inverted, as the training images are light on dark),
an MNIST-format IDX images file (.idx, -ubyte, .gz), or a .csv of rows of raw pixel values (one
image per row, in the dataset's own scale: 0-16 for the digits, 0-255 for IDX data; a trailing
label column is ignored).

  --top K   how many probabilities to show (default 3)
  --json    one JSON object per image and line, for other tools:
            {"file": FILE, "index": I, "class": NAME, "probabilities": [p0, p1, ...]}
            (index: the image's position in FILE, 0 for a single image; class: the predicted
            class's name; probabilities: one per class, in the order of the run's class names)`;

const OPTIONS = { top: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
const MAX_ROWS = 50;

class InputError extends Error {}

/** The most bytes of any input file predict reads (IDX, CSV, or an image's compressed bytes). */
const MAX_INPUT_BYTES = 256 << 20;
/** How far into an image file its size is looked for (JPEG may put EXIF segments before it). */
const HEADER_BYTES = 1 << 20;

/**
 * Refuses an image whose header declares more than MAX_IMAGE_PIXELS, or whose size cannot be found,
 * from at most its first megabyte — before anything is decoded (issue #31, item 4).
 */
function checkImageSize(file: string): string {
  const fd = fs.openSync(file, 'r');
  let head: Uint8Array;
  try {
    head = new Uint8Array(Math.min(HEADER_BYTES, fs.fstatSync(fd).size));
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const header = imageHeader(head);
  if (header === null) throw new InputError(`${file}: not a PNG, JPEG, BMP, GIF or TIFF image (no image size in its first bytes)`);
  const { format, width, height } = header;
  if (width === 0 || height === 0) throw new InputError(`${file}: the ${format} header declares an empty ${width}x${height} image`);
  if (width * height > MAX_IMAGE_PIXELS)
    throw new InputError(
      `${file}: the ${format} header declares ${width}x${height} pixels, more than the ${MAX_IMAGE_PIXELS} predict decodes; ` +
        'scale the image down first',
    );
  return format;
}

/** An image file as [1,1,H,W] in [0,1], light strokes on a dark background. */
async function readImage(file: string, h: number, w: number): Promise<Tensor> {
  const format = checkImageSize(file);
  let picture;
  try {
    picture = decodeGrey(fs.readFileSync(file), format, { maxPixels: MAX_IMAGE_PIXELS });
  } catch (e) {
    throw new InputError(
      `${file}: ${(e as Error).message.startsWith('a ') ? (e as Error).message : `not a ${format} image predict can decode (${(e as Error).message})`}`,
    );
  }
  const pixels = resizeGrey(picture, h, w);
  // The border tells the background: if it is light, the strokes are dark: invert.
  let border = 0;
  let count = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (y === 0 || x === 0 || y === h - 1 || x === w - 1) {
        border += pixels[y * w + x];
        count++;
      }
  if (border / count > 0.5) for (let i = 0; i < pixels.length; i++) pixels[i] = 1 - pixels[i];
  return new Tensor(pixels, [1, 1, h, w]);
}

/** What predict needs of a saved run, a classifier run (mlp, cnn) or a model-family run that classifies images. */
interface Predictor {
  /** [C,H,W] of one image. */
  imageShape: number[];
  /** What maps a raw pixel (0…16 digits, 0…255 IDX) into [0, 1]. */
  pixelScale: number;
  classNames: string[];
  /** Class probabilities [N, classes] for images in [0, 1]. */
  predict(unit: Tensor): Tensor;
}

/**
 * The saved run in `dir` as a Predictor. A model-family run (run.json format 2) classifies through
 * its FamilyRun's predict and classNames; the image size and pixel scale are the facts its spec()
 * saved (`imageShape`, `pixelScale`), as the classifier families record them. A classic run (mlp,
 * cnn, either format) is read by loadRun, which needs no data.
 */
function loadPredictor(dir: string): Predictor {
  if (runFormat(dir) === 2 && !isClassicRun(dir)) {
    const { spec, run } = loadSession(dir);
    if (run.predict === undefined || run.classNames === undefined)
      throw new InputError(`${dir} holds a ${spec.family} run on ${spec.options.dataset}, which does not classify images`);
    const { imageShape, pixelScale } = spec.saved as { imageShape?: unknown; pixelScale?: unknown };
    const validShape =
      Array.isArray(imageShape) && imageShape.length === 3 && imageShape.every((d) => Number.isInteger(d) && d >= 1 && d <= 4096);
    if (!validShape || typeof pixelScale !== 'number' || !(pixelScale > 0))
      throw new InputError(
        `${dir}: run.json's saved facts give no image shape and pixel scale (saved.imageShape, saved.pixelScale) to read images with`,
      );
    const predict = run.predict.bind(run);
    return { imageShape: imageShape as number[], pixelScale, classNames: run.classNames, predict };
  }
  const saved = loadRun(dir);
  return {
    imageShape: saved.spec.model.imageShape,
    pixelScale: saved.spec.preprocessing.pixelScale,
    classNames: saved.spec.classNames,
    predict: saved.predict,
  };
}

function readCsv(file: string, run: Predictor): Tensor {
  const [, h, w] = run.imageShape;
  const rows = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const out = new Float32Array(rows.length * h * w);
  rows.forEach((line, r) => {
    const values = line.split(',').map((v) => Number(v.trim()));
    if (values.length !== h * w && values.length !== h * w + 1)
      throw new InputError(`${file} row ${r + 1}: ${values.length} values, expected ${h * w} (or ${h * w + 1} with a label)`);
    for (let i = 0; i < h * w; i++) {
      if (!Number.isFinite(values[i])) throw new InputError(`${file} row ${r + 1}: value ${i + 1} is not a number`);
      out[r * h * w + i] = values[i] * run.pixelScale;
    }
  });
  return new Tensor(out, [rows.length, 1, h, w]);
}

async function readInput(file: string, run: Predictor): Promise<Tensor> {
  if (!fs.existsSync(file)) throw new InputError(`${file} does not exist`);
  const stat = fs.statSync(file);
  if (!stat.isFile()) throw new InputError(`${file} is not a regular file`);
  if (stat.size > MAX_INPUT_BYTES) throw new InputError(`${file} is ${stat.size} bytes, more than the ${MAX_INPUT_BYTES} predict reads`);
  const [, h, w] = run.imageShape;
  if (/\.csv$/i.test(file)) return readCsv(file, run);
  if (/(\.idx\d?|-ubyte)(\.gz)?$/i.test(file) || /\.gz$/i.test(file)) {
    let images;
    try {
      images = parseIdxImages(fs.readFileSync(file), file);
    } catch (e) {
      throw new InputError((e as Error).message.replace(/^parseIdx: /, ''));
    }
    if (images.shape[2] !== h || images.shape[3] !== w)
      throw new InputError(`${file}: images are ${images.shape[2]}x${images.shape[3]}, the model takes ${h}x${w}`);
    return images;
  }
  return readImage(file, h, w);
}

/** `--json`'s line for image `index` of `file`: {file, index, class, probabilities} (SPEC §17). */
export function jsonLine(file: string, index: number, classNames: string[], probabilities: ArrayLike<number>): string {
  let best = 0;
  for (let c = 1; c < probabilities.length; c++) if (probabilities[c] > probabilities[best]) best = c;
  return JSON.stringify({ file, index, class: classNames[best] ?? String(best), probabilities: Array.from(probabilities, Number) });
}

export async function run(args: string[]): Promise<number> {
  const fail = (message: string): number => {
    console.error(`tapegrad predict: ${message}`);
    return 2;
  };
  const parsed = parseCommand('predict', args, OPTIONS, HELP);
  if (typeof parsed === 'number') return parsed;
  const [dir, ...files] = parsed.positionals;
  if (dir === undefined || files.length === 0) return fail('expected RUN_DIR and at least one FILE');
  const top = parsed.values.top === undefined ? 3 : Number(parsed.values.top);
  if (!Number.isInteger(top) || top < 1) return fail(`--top must be a positive integer, got '${parsed.values.top}'`);
  let saved: Predictor;
  try {
    saved = loadPredictor(dir);
  } catch (e) {
    return fail((e as Error).message);
  }
  const names = saved.classNames;
  for (const file of files) {
    let images: Tensor;
    try {
      images = await readInput(file, saved);
    } catch (e) {
      if (e instanceof InputError) return fail(e.message);
      throw e;
    }
    const p = saved.predict(images);
    const classes = p.shape[1];
    const n = images.shape[0];
    if (parsed.values.json) {
      // Every image, however many: a tool reading the lines wants them all.
      for (let i = 0; i < n; i++) console.log(jsonLine(file, i, names, p.data.subarray(i * classes, (i + 1) * classes)));
      continue;
    }
    for (let i = 0; i < Math.min(n, MAX_ROWS); i++) {
      const row = Array.from(p.data.subarray(i * classes, (i + 1) * classes))
        .map((v, c) => [v, c] as const)
        .sort((a, b) => b[0] - a[0]);
      const label = n === 1 ? file : `${file}[${i}]`;
      const best = row[0][1];
      console.log(
        `${label}: ${best}${names[best] !== String(best) ? ` (${names[best]})` : ''}  ${row
          .slice(0, top)
          .map(([v, c]) => `${c}: ${(100 * v).toFixed(1)}%`)
          .join('  ')}`,
      );
    }
    if (n > MAX_ROWS) console.log(`${file}: … and ${n - MAX_ROWS} more images`);
  }
  return 0;
}
