import type { AugmentSpec } from '../config.ts';
import type { Rng } from '../rng.ts';
import { imageSize, type ImageSet } from './dataset.ts';

/** Output geometry and normalisation of an augmented view. */
export interface ViewFormat {
  size: number;
  channels: number;
  mean: number[];
  std: number[];
}

interface Crop { top: number; left: number; h: number; w: number }

/** torchvision RandomResizedCrop's box: 10 tries at random area and log-uniform ratio, then a centre crop. */
export function cropBox(height: number, width: number, spec: AugmentSpec['crop'], rng: Rng): Crop {
  const area = height * width;
  const logR0 = Math.log(spec.ratioMin), logR1 = Math.log(spec.ratioMax);
  for (let t = 0; t < 10; t++) {
    const target = area * rng.uniform(spec.scaleMin, spec.scaleMax);
    const ratio = Math.exp(rng.uniform(logR0, logR1));
    const w = Math.round(Math.sqrt(target * ratio));
    const h = Math.round(Math.sqrt(target / ratio));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), h, w };
    }
  }
  const inRatio = width / height;
  let w = width, h = height;
  if (inRatio < spec.ratioMin) h = Math.round(w / spec.ratioMin);
  else if (inRatio > spec.ratioMax) w = Math.round(h * spec.ratioMax);
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), h, w };
}

/** Bilinear resize of a crop to size x size, align_corners=False, into [0, 1] floats. */
function resizeCrop(set: ImageSet, index: number, box: Crop, size: number, out: Float32Array): void {
  const { width: W, channels: C } = set;
  const base = index * imageSize(set);
  const src = set.images;
  const sy = box.h / size, sx = box.w / size;
  for (let y = 0; y < size; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), box.h - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, box.h - 1), wy = fy - y0;
    for (let x = 0; x < size; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), box.w - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, box.w - 1), wx = fx - x0;
      const r0 = base + (box.top + y0) * W * C, r1 = base + (box.top + y1) * W * C;
      const c0 = (box.left + x0) * C, c1 = (box.left + x1) * C;
      for (let k = 0; k < C; k++) {
        const top = src[r0 + c0 + k] * (1 - wx) + src[r0 + c1 + k] * wx;
        const bot = src[r1 + c0 + k] * (1 - wx) + src[r1 + c1 + k] * wx;
        out[(y * size + x) * C + k] = (top * (1 - wy) + bot * wy) / 255;
      }
    }
  }
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

function gray(img: Float32Array, i: number): number {
  return 0.299 * img[i] + 0.587 * img[i + 1] + 0.114 * img[i + 2];
}

function brightness(img: Float32Array, f: number): void {
  for (let i = 0; i < img.length; i++) img[i] = clamp01(img[i] * f);
}

/** Blend with the mean grey level of the image. */
function contrast(img: Float32Array, f: number, C: number): void {
  let m = 0;
  for (let i = 0; i < img.length; i += C) m += C === 3 ? gray(img, i) : img[i];
  m /= img.length / C;
  for (let i = 0; i < img.length; i++) img[i] = clamp01(f * img[i] + (1 - f) * m);
}

/** Blend with each pixel's grey value. */
function saturation(img: Float32Array, f: number): void {
  for (let i = 0; i < img.length; i += 3) {
    const g = gray(img, i);
    for (let k = 0; k < 3; k++) img[i + k] = clamp01(f * img[i + k] + (1 - f) * g);
  }
}

/** Rotate hue by `shift` of the circle, through HSV. */
function hue(img: Float32Array, shift: number): void {
  for (let i = 0; i < img.length; i += 3) {
    const r = img[i], g = img[i + 1], b = img[i + 2];
    const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min;
    if (d === 0) continue;
    let h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
    h = (((h / 6 + shift) % 1) + 1) % 1;
    const s = d / max, v = max;
    const h6 = h * 6, k = Math.floor(h6), f = h6 - k;
    const p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    const rgb = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][k % 6];
    img[i] = rgb[0]; img[i + 1] = rgb[1]; img[i + 2] = rgb[2];
  }
}

/** ColorJitter: factors from U[1-s, 1+s], hue from U[-h, h], the four applied in random order. */
function colorJitter(img: Float32Array, C: number, j: AugmentSpec['jitter'], rng: Rng): void {
  const b = rng.uniform(1 - j.brightness, 1 + j.brightness);
  const c = rng.uniform(1 - j.contrast, 1 + j.contrast);
  const s = rng.uniform(1 - j.saturation, 1 + j.saturation);
  const h = rng.uniform(-j.hue, j.hue);
  for (const op of rng.shuffle([0, 1, 2, 3])) {
    if (op === 0) brightness(img, b);
    else if (op === 1) contrast(img, c, C);
    else if (op === 2 && C === 3) saturation(img, s);
    else if (op === 3 && C === 3) hue(img, h);
  }
}

function grayscale(img: Float32Array): void {
  for (let i = 0; i < img.length; i += 3) {
    const g = gray(img, i);
    img[i] = g; img[i + 1] = g; img[i + 2] = g;
  }
}

/** Separable Gaussian blur, kernel about 10% of the image (as the official implementation's 23 px at 224), reflect borders. */
function blur(img: Float32Array, size: number, C: number, sigma: number, tmp: Float32Array): void {
  const radius = Math.max(1, Math.floor(size / 20));
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const norm = kernel.reduce((a, b) => a + b, 0);
  const reflect = (i: number) => (i < 0 ? -i : i >= size ? 2 * size - 2 - i : i);
  for (let pass = 0; pass < 2; pass++) {
    const from = pass === 0 ? img : tmp, to = pass === 0 ? tmp : img;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let k = 0; k < C; k++) {
          let acc = 0;
          for (let t = -radius; t <= radius; t++) {
            const xx = pass === 0 ? reflect(x + t) : x, yy = pass === 0 ? y : reflect(y + t);
            acc += kernel[t + radius] * from[(yy * size + xx) * C + k];
          }
          to[(y * size + x) * C + k] = acc / norm;
        }
      }
    }
  }
}

/**
 * One augmented view, in the official implementation's order (docs/method.md#augmentations):
 * RandomResizedCrop, ColorJitter (p), RandomGrayscale, optional GaussianBlur, horizontal
 * flip, Normalize; written into `out` at `outOffset` as HWC floats.
 */
export function augmentView(
  set: ImageSet, index: number, spec: AugmentSpec, fmt: ViewFormat, rng: Rng,
  out: Float32Array, outOffset: number, scratch: Float32Array[],
): void {
  const { size, channels: C } = fmt;
  const [img, tmp] = scratch;
  resizeCrop(set, index, cropBox(set.height, set.width, spec.crop, rng), size, img);
  if (rng.bernoulli(spec.jitter.p)) colorJitter(img, C, spec.jitter, rng);
  if (C === 3 && rng.bernoulli(spec.grayscaleP)) grayscale(img);
  if (spec.blur && rng.bernoulli(spec.blur.p)) blur(img, size, C, rng.uniform(spec.blur.sigmaMin, spec.blur.sigmaMax), tmp);
  const flip = rng.bernoulli(spec.flipP);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const from = (y * size + (flip ? size - 1 - x : x)) * C;
      const to = outOffset + (y * size + x) * C;
      for (let k = 0; k < C; k++) out[to + k] = (img[from + k] - fmt.mean[k]) / fmt.std[k];
    }
  }
}

/** Scratch buffers for {@link augmentView}, reused across calls. */
export function viewScratch(fmt: ViewFormat): Float32Array[] {
  const n = fmt.size * fmt.size * fmt.channels;
  return [new Float32Array(n), new Float32Array(n)];
}

/** Un-augmented, normalised images (kNN and linear evaluation). */
export function normalizeInto(set: ImageSet, indices: ArrayLike<number>, fmt: ViewFormat, out: Float32Array): void {
  const sz = imageSize(set);
  for (let b = 0; b < indices.length; b++) {
    const base = indices[b] * sz;
    for (let i = 0; i < sz; i++) {
      const k = i % fmt.channels;
      out[b * sz + i] = (set.images[base + i] / 255 - fmt.mean[k]) / fmt.std[k];
    }
  }
}
