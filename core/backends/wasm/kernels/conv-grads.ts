import * as tf from '@tensorflow/tfjs';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Shape4 = [number, number, number, number];

function pair(s: number | [number, number]): [number, number] {
  return typeof s === 'number' ? [s, s] : s;
}

/** Rows [0, need) of a zero-padded axis as (before, after) padding, cropping first when `after` would be negative. */
function fit(x: tf.Tensor4D, axis: 1 | 2, before: number, need: number): { x: tf.Tensor4D; before: number; after: number } {
  const size = x.shape[axis];
  const after = need - size - before;
  if (after >= 0) return { x, before, after };
  const keep = size + after;
  const sizes = [-1, -1, -1, -1];
  sizes[axis] = keep;
  return { x: tf.slice(x, [0, 0, 0, 0], sizes), before, after: 0 };
}

/**
 * dL/dW of a stride-s NHWC conv, as one forward conv: the batch moves into the channel
 * slot of x, dy acts as the filter, and the stride becomes a dilation. The forward conv
 * is XNNPACK's fast path (measured 14-17 GFLOP/s against 6 for im2col); padding is
 * passed to it rather than materialised.
 */
export function conv2dBackpropFilter(
  x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4,
  strides: number | [number, number], pad: Pad, rounding?: Rounding,
): tf.Tensor4D {
  const [kh, kw] = filterShape;
  const [sh, sw] = pair(strides);
  const { top, left } = tf.backend_util.computeConv2DInfo(x.shape, filterShape, [sh, sw], 1, pad, rounding).padInfo;
  const [, oh, ow] = dy.shape;
  const rows = fit(x, 1, top, (oh - 1) * sh + kh);
  const cols = fit(rows.x, 2, left, (ow - 1) * sw + kw);
  const xt = tf.transpose(cols.x, [3, 1, 2, 0]); // [Ci, H, W, N]
  const f = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, Co]
  const padding: tf.backend_util.ExplicitPadding = [[0, 0], [rows.before, rows.after], [cols.before, cols.after], [0, 0]];
  const out = tf.conv2d(xt, f, 1, padding, 'NHWC', [sh, sw]); // [Ci, kh, kw, Co]
  return tf.transpose(out, [1, 2, 0, 3]);
}

/** Taps of one output phase a (rows i = s*m + a) of a transposed conv: kernel index k and dy offset delta = o - m. */
function phaseTaps(a: number, s: number, k: number, padBefore: number): { k: number; delta: number }[] {
  const r = (((a + padBefore) % s) + s) % s;
  const c = (a + padBefore - r) / s;
  const taps = [];
  for (let j = 0; r + s * j < k; j++) taps.push({ k: r + s * j, delta: c - j });
  return taps;
}

/**
 * dL/dx of a stride-s NHWC conv as one stride-1 forward conv over dy, no zeros inserted:
 * each of the s*s output phases (i mod s) is a small correlation of dy with a subset of
 * the filter taps; all phases are computed at once as s*s groups of output channels
 * (one filter gathered from the taps, zero where a phase has no tap) and interleaved
 * by a transpose. Returns null where this form does not apply (pad > k-1, unequal
 * strides), and the caller keeps the stock kernel.
 */
export function conv2dBackpropInput(
  inputShape: Shape4, dy: tf.Tensor4D, filter: tf.Tensor4D,
  strides: number | [number, number], pad: Pad, rounding?: Rounding,
): tf.Tensor4D | null {
  const [n, h, w, ci] = inputShape;
  const [kh, kw, , co] = filter.shape;
  const [sh, sw] = pair(strides);
  if (sh !== sw) return null;
  const s = sh;
  const { top, left } = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, [s, s], 1, pad, rounding).padInfo;
  const rowTaps = Array.from({ length: s }, (_, a) => phaseTaps(a, s, kh, top));
  const colTaps = Array.from({ length: s }, (_, b) => phaseTaps(b, s, kw, left));
  const span = (t: { delta: number }[][]) => {
    const ds = t.flat().map((x) => x.delta);
    return { min: Math.min(...ds), max: Math.max(...ds) };
  };
  const rs = span(rowTaps), cs = span(colTaps);
  if (rs.min > 0 || cs.min > 0) return null;
  const eh = rs.max - rs.min + 1, ew = cs.max - cs.min + 1;
  // index[eh][ew][a][b] -> flat tap (ky*kw + kx) or the zero row at kh*kw.
  const zero = kh * kw;
  const index = new Int32Array(eh * ew * s * s).fill(zero);
  for (let a = 0; a < s; a++) for (const ty of rowTaps[a]) {
    for (let b = 0; b < s; b++) for (const tx of colTaps[b]) {
      index[(((ty.delta - rs.min) * ew + (tx.delta - cs.min)) * s + a) * s + b] = ty.k * kw + tx.k;
    }
  }
  const taps = tf.concat([tf.reshape(filter, [kh * kw, ci, co]), tf.zeros([1, ci, co])]);
  const gathered = tf.reshape(tf.gather(taps, tf.tensor1d(index, 'int32')), [eh, ew, s, s, ci, co]);
  const combined = tf.reshape(tf.transpose(gathered, [0, 1, 5, 2, 3, 4]), [eh, ew, co, s * s * ci]);
  const mh = Math.ceil(h / s), mw = Math.ceil(w / s);
  const rows = fit(dy, 1, -rs.min, mh + eh - 1);
  const cols = fit(rows.x, 2, -cs.min, mw + ew - 1);
  const padding: tf.backend_util.ExplicitPadding = [[0, 0], [rows.before, rows.after], [cols.before, cols.after], [0, 0]];
  const phases = tf.conv2d(cols.x, combined as tf.Tensor4D, 1, padding); // [N, mh, mw, s*s*Ci]
  // Interleave phases: [N, mh, mw, a, b, Ci] -> [N, mh, a, mw, b, Ci] (wasm's DepthToSpace is a slow loop).
  const dx = s === 1 ? phases : tf.reshape(
    tf.transpose(tf.reshape(phases, [n, mh, mw, s, s, ci]), [0, 1, 3, 2, 4, 5]), [n, mh * s, mw * s, ci]) as tf.Tensor4D;
  return dx.shape[1] === h && dx.shape[2] === w ? dx : tf.slice(dx, [0, 0, 0, 0], [n, h, w, ci]);
}
