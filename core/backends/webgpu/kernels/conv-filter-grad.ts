import * as tf from '@tensorflow/tfjs';
import type { GpuBackend, GpuProgram } from './program.ts';

/**
 * dW of a convolution as a tiled implicit GEMM with split-K, for NHWC input:
 *   dW[m, n] = Σ_p im2col(x)[p, m] · dy[p, n],  m = (ky·KW + kx)·Ci + ci,  p = (b, oy, ox).
 * tfjs-webgpu's stock kernel gives each dW value one thread that loops over all
 * B·OH·OW pixels (512·32·32 serial multiply-adds per value for CIFAR ResNet-18 at batch
 * 512), reading both operands from memory for every product. Here a workgroup computes a
 * TM×TN tile of dW, 4×4 values per thread, over one chunk of pixels, staging TK pixels of
 * both operands in workgroup memory at a time. The chunks (split-K) give a small dW
 * enough workgroups to fill a GPU; a second pass sums them.
 */
const TK = 16;
/** Workgroups worth launching before splitting K stops paying (a GPU's SMs × a few). */
const TARGET_WORKGROUPS = 512;
/** The fewest pixels a split is given, so that its partial tile is worth its write. */
const MIN_CHUNK = 256;

export interface ConvGeometry {
  /** [B, H, W, Ci] */
  xShape: [number, number, number, number];
  /** [B, OH, OW, Co] */
  dyShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  /** Top and left padding. */
  pads: [number, number];
}

export interface FilterGradPlan {
  /** dW rows (taps × input channels) and columns (output channels) per workgroup. */
  tileM: 32 | 64;
  tileN: 16 | 32 | 64;
  /** Both operands and dW move as vec4: Ci and Co are multiples of 4 (a tap's channels are contiguous in NHWC). */
  vec4: boolean;
  splits: number;
  /** Pixels per split, a multiple of TK. */
  chunk: number;
}

/**
 * The tile is the smallest that covers each side up to 64 (a 27×16 stem dW in a 64×64
 * tile would compute 90% zeros); K is split until about TARGET_WORKGROUPS run.
 */
export function planFilterGrad(m: number, n: number, k: number, vec4: boolean): FilterGradPlan {
  const tileM = m <= 32 ? 32 : 64;
  const tileN = n <= 16 ? 16 : n <= 32 ? 32 : 64;
  const tiles = Math.ceil(m / tileM) * Math.ceil(n / tileN);
  const want = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(k / MIN_CHUNK)));
  const chunk = Math.ceil(Math.ceil(k / want) / TK) * TK;
  return { tileM, tileN, vec4, splits: Math.ceil(k / chunk), chunk };
}

class FilterGradProgram implements GpuProgram {
  variableNames = ['x', 'dy'];
  uniforms = 'pads : vec2<i32>, strides : vec2<i32>, filterW : i32, m : i32, n : i32, k : i32, chunk : i32,';
  workgroupSize: [number, number, number];
  dispatchLayout = { x: [2], y: [1], z: [0] };
  shaderKey: string;
  dispatch: [number, number, number];
  variableComponents?: number[];
  outputComponent?: number;
  constructor(public outputShape: number[], m: number, n: number, private plan: FilterGradPlan) {
    const { tileM, tileN, vec4, splits } = plan;
    this.workgroupSize = [tileN / 4, tileM / 4, 1];
    this.dispatch = [Math.ceil(n / tileN), Math.ceil(m / tileM), splits];
    this.shaderKey = `simsiamConv2DFilterGrad_${tileM}x${tileN}_${vec4 ? 'vec4' : 'f32'}`;
    if (vec4) {
      this.variableComponents = [4, 4];
      this.outputComponent = 4;
    }
  }

  getUserCode(): string {
    const { tileM, tileN, vec4 } = this.plan;
    const w = vec4 ? 4 : 1; // floats per element of the staged arrays
    const ty = vec4 ? 'vec4<f32>' : 'f32';
    const rowA = tileM / w;
    const rowB = tileN / w;
    const threads = (tileM / 4) * (tileN / 4);
    // One k-slice of the staged operands as 4 dW rows (a) and 4 dW columns (b).
    const slice = vec4
      ? `let a = As[kk * ${rowA} + ty];
      let b = Bs[kk * ${rowB} + tx];`
      : `let ao = kk * ${rowA} + ty * 4;
      let a = vec4<f32>(As[ao], As[ao + 1], As[ao + 2], As[ao + 3]);
      let bo = kk * ${rowB} + tx * 4;
      let b = vec4<f32>(Bs[bo], Bs[bo + 1], Bs[bo + 2], Bs[bo + 3]);`;
    const write = vec4
      ? `if (m < uniforms.m && n0 + tx * 4 < uniforms.n) {
        result[((s * uniforms.m + m) * uniforms.n + n0 + tx * 4) / 4] = acc[i];
      }`
      : `for (var j = 0; j < 4; j = j + 1) {
        let nn = n0 + tx * 4 + j;
        if (m < uniforms.m && nn < uniforms.n) {
          result[(s * uniforms.m + m) * uniforms.n + nn] = acc[i][j];
        }
      }`;
    return `
var<workgroup> As : array<${ty}, ${TK * rowA}>;
var<workgroup> Bs : array<${ty}, ${TK * rowB}>;

fn main() {
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let li = i32(localIndex);
  let n0 = i32(workgroupId.x) * ${tileN};
  let m0 = i32(workgroupId.y) * ${tileM};
  let s = i32(workgroupId.z);
  let kBegin = s * uniforms.chunk;
  let kEnd = min(uniforms.k, kBegin + uniforms.chunk);
  let inH = uniforms.xShape[1];
  let inW = uniforms.xShape[2];
  let ci = uniforms.xShape[3];
  let outW = uniforms.dyShape[2];
  let outHW = uniforms.dyShape[1] * outW;
  var acc : array<vec4<f32>, 4>;
  // The trip count depends on uniforms only, so the barriers sit in uniform control flow.
  for (var t = 0; t < uniforms.chunk / ${TK}; t = t + 1) {
    let k0 = kBegin + t * ${TK};
    // im2col(x)[p, m..m+${w - 1}]: zero outside the image and past the split's pixels.
    for (var r = 0; r < ${(TK * rowA) / threads}; r = r + 1) {
      let e = li + r * ${threads};
      let p = k0 + e / ${rowA};
      let m = m0 + (e % ${rowA}) * ${w};
      var av = ${ty}(0.0);
      if (p < kEnd && m < uniforms.m) {
        let b = p / outHW;
        let q = p - b * outHW;
        let oy = q / outW;
        let ox = q - oy * outW;
        let tap = m / ci;
        let c = m - tap * ci;
        let ky = tap / uniforms.filterW;
        let kx = tap - ky * uniforms.filterW;
        let iy = oy * uniforms.strides.x + ky - uniforms.pads.x;
        let ix = ox * uniforms.strides.y + kx - uniforms.pads.y;
        if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
          av = x[(((b * inH + iy) * inW + ix) * ci + c) / ${w}];
        }
      }
      As[e] = av;
    }
    // dy[p, n..n+${w - 1}]
    for (var r = 0; r < ${(TK * rowB) / threads}; r = r + 1) {
      let e = li + r * ${threads};
      let p = k0 + e / ${rowB};
      let nn = n0 + (e % ${rowB}) * ${w};
      var bv = ${ty}(0.0);
      if (p < kEnd && nn < uniforms.n) {
        bv = dy[(p * uniforms.n + nn) / ${w}];
      }
      Bs[e] = bv;
    }
    workgroupBarrier();
    for (var kk = 0; kk < ${TK}; kk = kk + 1) {
      ${slice}
      acc[0] = fma(vec4<f32>(a.x), b, acc[0]);
      acc[1] = fma(vec4<f32>(a.y), b, acc[1]);
      acc[2] = fma(vec4<f32>(a.z), b, acc[2]);
      acc[3] = fma(vec4<f32>(a.w), b, acc[3]);
    }
    workgroupBarrier();
  }
  for (var i = 0; i < 4; i = i + 1) {
    let m = m0 + ty * 4 + i;
    ${write}
  }
}
`;
  }
}

/** Sums the split-K partials [S, M·N] into dW. */
class SplitSumProgram implements GpuProgram {
  variableNames = ['partial'];
  uniforms = 'splits : i32,';
  workgroupSize: [number, number, number] = [256, 1, 1];
  dispatchLayout = { x: [0, 1, 2, 3] };
  shaderKey = 'simsiamSplitSum';
  size = true;
  dispatch: [number, number, number];
  constructor(public outputShape: number[]) {
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(outputShape) / 256), 1, 1];
  }

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index < uniforms.size) {
    var v = 0.0;
    for (var i = 0; i < uniforms.splits; i = i + 1) {
      v = v + partial[i * uniforms.size + index];
    }
    setOutputAtIndex(index, v);
  }
}
`;
  }
}

function planOf(g: ConvGeometry): { m: number; n: number; k: number; plan: FilterGradPlan } {
  const [kh, kw, ci, co] = g.filterShape;
  const m = kh * kw * ci;
  const k = g.dyShape[0] * g.dyShape[1] * g.dyShape[2];
  return { m, n: co, k, plan: planFilterGrad(m, co, k, ci % 4 === 0 && co % 4 === 0) };
}

/** Whether this kernel takes the case: some pixels, and a dispatch within the device's limit. */
export function filterGradFits(g: ConvGeometry, maxWorkgroups: number): boolean {
  const { m, n, k, plan } = planOf(g);
  if (k === 0 || m === 0 || n === 0) return false;
  return Math.max(Math.ceil(n / plan.tileN), Math.ceil(m / plan.tileM), plan.splits) <= maxWorkgroups;
}

export function convFilterGrad(backend: GpuBackend, x: tf.TensorInfo, dy: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  const kw = g.filterShape[1];
  const { m, n, k, plan } = planOf(g);
  const uniforms = [
    { type: 'int32' as const, data: g.pads },
    { type: 'int32' as const, data: g.strides },
    { type: 'int32' as const, data: [kw] },
    { type: 'int32' as const, data: [m] },
    { type: 'int32' as const, data: [n] },
    { type: 'int32' as const, data: [k] },
    { type: 'int32' as const, data: [plan.chunk] },
  ];
  if (plan.splits === 1) return backend.runWebGPUProgram(new FilterGradProgram(g.filterShape, m, n, plan), [x, dy], 'float32', uniforms);
  const partial = backend.runWebGPUProgram(new FilterGradProgram([plan.splits, m, n], m, n, plan), [x, dy], 'float32', uniforms);
  try {
    return backend.runWebGPUProgram(new SplitSumProgram(g.filterShape), [partial], 'float32', [{ type: 'int32', data: [plan.splits] }]);
  } finally {
    backend.disposeData(partial.dataId);
  }
}
