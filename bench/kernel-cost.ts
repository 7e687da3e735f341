/**
 * The arithmetic and the least memory traffic of one kernel call, from the shapes that
 * tf.profile records: FLOPs for the convolutions and matMuls (2 per multiply-add), and for
 * every kernel the bytes of its inputs and output read and written once (float32). The
 * achieved rates a profile prints are these over the measured time: a lower bound on what
 * the kernel moved, so a rate far below the device's says where the time is lost.
 */
export interface KernelCall {
  name: string;
  inputShapes: number[][];
  outputShapes: number[][];
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

export function kernelFlops(k: KernelCall): number | null {
  const out = k.outputShapes[0];
  const [a, b] = k.inputShapes;
  if (!out || !a || !b) return null;
  switch (k.name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      const [kh, kw, ci] = b; // x, filter [KH, KW, Ci, Co]
      return 2 * size(out) * kh * kw * ci;
    }
    case 'Conv2DBackpropInput': {
      const [kh, kw, ci] = b; // dy, filter
      return 2 * size(a) * kh * kw * ci;
    }
    case 'Conv2DBackpropFilter': {
      const [kh, kw, ci] = out; // x, dy -> filter
      return 2 * size(b) * kh * kw * ci;
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // The transposes are not in the record: a is [..., M, K] or [..., K, M], out [..., M, N].
      // (Where a is square either reading gives the same K.)
      const inner = a.at(-2) === out.at(-2) ? a.at(-1)! : a.at(-2)!;
      return 2 * size(out) * inner;
    }
    default:
      return null;
  }
}

export function kernelBytes(k: KernelCall): number {
  return 4 * (k.inputShapes.reduce((s, x) => s + (x ? size(x) : 0), 0) + k.outputShapes.reduce((s, x) => s + (x ? size(x) : 0), 0));
}
