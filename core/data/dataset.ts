/** Images as bytes, HWC, one after another: compact enough for 60,000 images in any backend. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  height: number;
  width: number;
  channels: number;
}

export interface Dataset {
  name: string;
  train: ImageSet;
  test: ImageSet;
  classes: number;
  /** Per-channel normalisation applied after augmentation, on [0, 1] values. */
  mean: number[];
  std: number[];
}

/** Bytes per image. */
export function imageSize(s: Pick<ImageSet, 'height' | 'width' | 'channels'>): number {
  return s.height * s.width * s.channels;
}

/** Per-channel mean and std of a set, on [0, 1] values. */
export function channelStats(set: ImageSet): { mean: number[]; std: number[] } {
  const c = set.channels;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < set.images.length; i++) {
    const v = set.images[i] / 255;
    sum[i % c] += v;
    sq[i % c] += v * v;
  }
  const count = set.images.length / c;
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sq, (s, k) => Math.sqrt(Math.max(s / count - mean[k] ** 2, 1e-12)));
  return { mean, std };
}

/** The first `limit` images of a set (null keeps all). */
export function limitSet(set: ImageSet, limit: number | null): ImageSet {
  if (limit == null || limit >= set.n) return set;
  const sz = imageSize(set);
  return { ...set, n: limit, images: set.images.subarray(0, limit * sz), labels: set.labels.subarray(0, limit) };
}
