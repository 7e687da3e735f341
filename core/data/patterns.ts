import { Rng } from '../rng.ts';
import { channelStats, type Dataset, type ImageSet } from './dataset.ts';

/**
 * The embedded dataset: ten classes of pattern that differ only in structure (the
 * orientation or layout of their parts), each drawn with random colours, period,
 * phase, slight rotation and pixel noise on a colour gradient. Colour, position and
 * scale carry no class information, so the crop and colour augmentations are exactly
 * the invariances that help: a random network groups images by colour, SimSiam has to
 * learn structure. Orientation is part of a class (stripes vs. columns), and every
 * class is symmetric under the horizontal flip that augmentation applies.
 */
export const PATTERN_CLASSES = [
  'stripes', 'columns', 'checker', 'diamonds', 'dots', 'grid', 'rings', 'waves', 'sunburst', 'disk',
] as const;

/** Foreground test at (x, y), centred on the pattern's origin, with period `p`. */
type Pattern = (x: number, y: number, p: number, rng: PatternParams) => boolean;
interface PatternParams { phase: number; amp: number }

const TAU = 2 * Math.PI;
const patterns: Pattern[] = [
  (x, y, p, q) => Math.sin((TAU * y) / p + q.phase) > 0,
  (x, y, p, q) => Math.sin((TAU * x) / p + q.phase) > 0,
  (x, y, p, q) => Math.sin((TAU * x) / p + q.phase) * Math.sin((TAU * y) / p) > 0,
  (x, y, p, q) => Math.sin((TAU * (x + y)) / (1.4 * p) + q.phase) * Math.sin((TAU * (x - y)) / (1.4 * p)) > 0,
  (x, y, p, q) => Math.cos((TAU * x) / p + q.phase) + Math.cos((TAU * y) / p) > 1,
  (x, y, p, q) => Math.abs(Math.sin((TAU * x) / (2 * p) + q.phase)) < 0.3 || Math.abs(Math.sin((TAU * y) / (2 * p))) < 0.3,
  (x, y, p, q) => Math.sin((TAU * Math.hypot(x, y)) / p + q.phase) > 0,
  (x, y, p, q) => Math.sin((TAU * (y + q.amp * p * Math.sin((TAU * x) / (2.5 * p)))) / p + q.phase) > 0,
  (x, y, p, q) => Math.sin(8 * Math.atan2(y, x) + q.phase) > 0,
  (x, y, p) => Math.hypot(x, y) < 1.6 * p,
];

/** HSV to RGB, all in [0, 1]. */
function hsv(h: number, s: number, v: number): number[] {
  const k = (n: number) => (n + h * 6) % 6;
  const f = (n: number) => v - v * s * Math.max(0, Math.min(k(n), 4 - k(n), 1));
  return [f(5), f(3), f(1)];
}

/**
 * Foreground and background colours: any hue, moderate saturation, values at least
 * 0.35 apart. Saturation is capped so that colour jitter (±0.1 hue, ±40% saturation)
 * covers most of the colour difference between two images: with fully random colours
 * the colour of an image identifies it across views, a shortcut that SimSiam learns
 * instead of structure (as SimCLR found for colour histograms).
 */
function colours(rng: Rng): { fg: number[]; bg: number[] } {
  const vBg = rng.uniform(0.05, 0.95);
  const vFg = vBg > 0.5 ? rng.uniform(0, vBg - 0.35) : rng.uniform(vBg + 0.35, 1);
  return {
    fg: hsv(rng.next(), rng.uniform(0, 0.4), vFg),
    bg: hsv(rng.next(), rng.uniform(0, 0.4), vBg),
  };
}

function drawImage(rng: Rng, cls: number, size: number, out: Uint8Array, offset: number): void {
  const { fg, bg: bg0 } = colours(rng);
  const bg1 = bg0.map((c) => Math.min(1, Math.max(0, c + rng.uniform(-0.15, 0.15))));
  const period = size * rng.uniform(0.16, 0.26);
  const cx = rng.uniform(0.3, 0.7) * size, cy = rng.uniform(0.3, 0.7) * size;
  const theta = rng.uniform(-0.2, 0.2); // a slight tilt: orientation stays a class property
  const cos = Math.cos(theta), sin = Math.sin(theta);
  const params = { phase: rng.uniform(0, TAU), amp: rng.uniform(0.3, 0.6) };
  const g = rng.uniform(0, TAU);
  const gx = Math.cos(g) / size, gy = Math.sin(g) / size;
  const test = patterns[cls];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let cover = 0; // 2x2 supersampling for anti-aliased edges
      for (const [ox, oy] of [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]]) {
        const dx = x + ox - cx, dy = y + oy - cy;
        if (test(cos * dx + sin * dy, -sin * dx + cos * dy, period, params)) cover++;
      }
      const a = cover / 4;
      const t = Math.min(1, Math.max(0, 0.5 + (x - size / 2) * gx + (y - size / 2) * gy));
      const o = offset + (y * size + x) * 3;
      for (let k = 0; k < 3; k++) {
        const v = a * fg[k] + (1 - a) * (bg0[k] * (1 - t) + bg1[k] * t) + rng.normal() * 0.03;
        out[o + k] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
  }
}

function makeSet(n: number, size: number, rng: Rng): ImageSet {
  const images = new Uint8Array(n * size * size * 3);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % PATTERN_CLASSES.length;
    drawImage(rng, labels[i], size, images, i * size * size * 3);
  }
  return { images, labels, n, height: size, width: size, channels: 3 };
}

/** Generate the embedded dataset deterministically from its seed. */
export function patternsDataset(train: number, test: number, size: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const trainSet = makeSet(train, size, rng.fork(1));
  const testSet = makeSet(test, size, rng.fork(2));
  return { name: 'patterns', train: trainSet, test: testSet, classes: PATTERN_CLASSES.length, ...channelStats(trainSet) };
}
