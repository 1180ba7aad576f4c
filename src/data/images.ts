/**
 * @file Image datasets on disk: CIFAR-10's binary batches (`loadCifar10`) and a folder of PNGs per
 * class (`imageFolder`, as torchvision's ImageFolder). Sizes are checked before anything large is
 * allocated: each CIFAR file must hold whole records, and a PNG's declared size is bounded
 * (Note [bounded PNG decoding]).
 */
import { joinPath, listDir, openForReading, readBytes } from '../platform/files';
import { decodePng } from '../platform/png';
import { Tensor } from '../tensor/tensor';
import { ImageDataset, imageDataset } from './dataset';
import type { Dataset } from './loader';
import { ImageInput, RawImage, toTensor } from './transforms';

const CIFAR_SIDE = 32;
const CIFAR_PIXELS = 3 * CIFAR_SIDE * CIFAR_SIDE;
const CIFAR_RECORD = 1 + CIFAR_PIXELS;
const CIFAR_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CIFAR_TRAIN = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const CIFAR_TEST = ['test_batch.bin'];

function readCifar(dir: string, names: string[]): ImageDataset {
  const parts: { file: string; count: number }[] = names.map((name) => {
    const file = joinPath(dir, name);
    let size: number;
    try {
      const f = openForReading(file);
      size = f.size;
      f.close();
    } catch (e) {
      throw new Error(`loadCifar10: cannot read ${file}: ${(e as Error).message}`);
    }
    if (size === 0 || size % CIFAR_RECORD !== 0) {
      throw new Error(`loadCifar10: ${file} is not a CIFAR-10 batch: ${size} bytes is not a whole number of ${CIFAR_RECORD}-byte records (1 label + 3072 pixels)`);
    }
    return { file, count: size / CIFAR_RECORD };
  });
  const n = parts.reduce((a, p) => a + p.count, 0);
  const images = new Float32Array(n * CIFAR_PIXELS);
  const labels = new Int32Array(n);
  let at = 0;
  for (const { file, count } of parts) {
    const bytes = readBytes(file);
    if (bytes.length !== count * CIFAR_RECORD) throw new Error(`loadCifar10: ${file} changed size while being read`);
    for (let r = 0; r < count; r++, at++) {
      const record = r * CIFAR_RECORD;
      const label = bytes[record];
      if (label > 9) throw new Error(`loadCifar10: ${file} record ${r} has label ${label}, not a class 0..9`);
      labels[at] = label;
      for (let i = 0; i < CIFAR_PIXELS; i++) images[at * CIFAR_PIXELS + i] = bytes[record + 1 + i] / 255;
    }
  }
  return imageDataset(new Tensor(images, [n, 3, CIFAR_SIDE, CIFAR_SIDE]), labels);
}

/**
 * CIFAR-10 from the folder of its binary version (cifar-10-batches-bin: data_batch_1..5.bin and
 * test_batch.bin, each record a label byte and 3072 pixel bytes, channel by channel): images
 * [N,3,32,32] scaled to [0,1] (float32) and labels, as datasets of (image, label), with the classes'
 * names (batches.meta.txt when present).
 */
export function loadCifar10(dir: string): { train: ImageDataset; test: ImageDataset; classes: string[] } {
  if (typeof dir !== 'string' || dir === '') throw new Error(`loadCifar10: dir must be a non-empty string, got ${JSON.stringify(dir)}`);
  let classes = CIFAR_CLASSES;
  try {
    const names = new TextDecoder()
      .decode(readBytes(joinPath(dir, 'batches.meta.txt')))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    if (names.length === 10) classes = names;
  } catch {
    // No batches.meta.txt: the standard names.
  }
  return { train: readCifar(dir, CIFAR_TRAIN), test: readCifar(dir, CIFAR_TEST), classes: [...classes] };
}

export interface ImageFolderOptions<T> {
  /** Applied to each decoded image (RGB pixels, as a RawImage); default: toTensor, giving [3,H,W] in [0,1]. */
  transform?: (image: RawImage) => T;
}

/**
 * A folder with one subfolder of PNGs per class, as torchvision's ImageFolder: classes are the
 * subfolders' names sorted, samples each class's .png files sorted, and item i is (image, class
 * index), the PNG read and decoded (as RGB) when asked for.
 */
export class ImageFolder<T = Tensor> implements Dataset<[T, number]> {
  readonly classes: string[];
  readonly classToIdx: Record<string, number>;
  readonly samples: [string, number][];
  private readonly transform: (image: RawImage) => T;

  constructor(
    readonly root: string,
    opts: ImageFolderOptions<T> = {},
  ) {
    let entries: { name: string; isDir: boolean }[];
    try {
      entries = listDir(root);
    } catch (e) {
      throw new Error(`imageFolder: cannot read ${root}: ${(e as Error).message}`);
    }
    this.classes = entries.filter((e) => e.isDir).map((e) => e.name);
    if (this.classes.length === 0) throw new Error(`imageFolder: ${root} has no class folders`);
    this.classToIdx = Object.fromEntries(this.classes.map((c, i) => [c, i]));
    this.samples = this.classes.flatMap((c, i) =>
      listDir(joinPath(root, c))
        .filter((e) => !e.isDir && /\.png$/i.test(e.name))
        .map((e): [string, number] => [joinPath(root, c, e.name), i]),
    );
    if (this.samples.length === 0) throw new Error(`imageFolder: ${root} has no .png files in its class folders (${this.classes.join(', ')})`);
    this.transform = opts.transform ?? ((image: RawImage) => toTensor(image as ImageInput) as unknown as T);
  }

  get length(): number {
    return this.samples.length;
  }

  get(i: number): [T, number] {
    if (!Number.isInteger(i) || i < 0 || i >= this.samples.length) throw new Error(`imageFolder: index ${i} is out of range for ${this.samples.length} images`);
    const [file, label] = this.samples[i];
    let bytes: Uint8Array;
    try {
      bytes = readBytes(file);
    } catch (e) {
      throw new Error(`imageFolder: cannot read ${file}: ${(e as Error).message}`);
    }
    const { width, height, data } = decodePng(bytes, file);
    const rgb = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) for (let k = 0; k < 3; k++) rgb[3 * p + k] = data[4 * p + k];
    return [this.transform({ data: rgb, width, height, channels: 3 }), label];
  }
}

/** A folder of PNGs per class as a Dataset of (image, class index) (torchvision's ImageFolder). */
export function imageFolder<T = Tensor>(root: string, opts: ImageFolderOptions<T> = {}): ImageFolder<T> {
  return new ImageFolder(root, opts);
}
