import * as tf from '@tensorflow/tfjs';
import type { ConvAttrs } from '../conv-attrs.ts';
import type { Addon } from './addon.ts';
import { replaceKernel } from '../wasm/kernels/kernel-registry.ts';
import { registerWasmKernels } from '../wasm/kernels/register.ts';
import type { OnnxGraph, OnnxNode } from '../../onnx/model.ts';
import { NCHWC_DOMAIN, type Ort } from './ort.ts';
import type { WasmBackend } from './wasm-heap.ts';

/**
 * The step's heavy kernels (conv forward, its two gradients, matMul) on onnxruntime's
 * MLAS, registered over the wasm backend's: tensors stay in the wasm heap, and
 * onnxruntime reads the inputs and writes the outputs there in place. Convs whose channel
 * counts are multiples of MLAS's block run in its blocked (NCHWc) layout (blockedConv);
 * the others are NCHW, as ONNX's Conv is, between transposes. Everything else stays wasm's.
 */

type Info = tf.TensorInfo;

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** tfjs filters are [kh, kw, in, out]; ONNX's are [out, in, kh, kw] (ConvTranspose: [in, out, kh, kw] of its own input). */
const HWIO_TO_OIHW = [3, 2, 0, 1];
/** The filter of dL/dx as a forward conv: the conv's input channels become its outputs. */
const HWIO_TO_IOHW = [2, 3, 0, 1];

const t = (input: string, output: string, perm: number[]): OnnxNode => ({ op: 'Transpose', inputs: [input], outputs: [output], attrs: { perm } });

function convInfo(xShape: number[], filterShape: number[], a: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, false, 'channelsLast',
  );
}

/** ONNX's output length of a conv axis, to check it agrees with tfjs's rounding. */
const onnxOut = (size: number, k: number, s: number, d: number, before: number, after: number) =>
  Math.floor((size + before + after - ((k - 1) * d + 1)) / s) + 1;

/**
 * x (NHWC) and w (HWIO) through one NCHW Conv or ConvTranspose into y (NHWC): the
 * layout transposes around it, and the attributes both ops share.
 */
function nchwConv(op: 'Conv' | 'ConvTranspose', c: tf.backend_util.Conv2DInfo, shapes: { x: number[]; w: number[]; y: number[] }, extra: Record<string, number[]> = {}): OnnxGraph {
  const { top, left, bottom, right } = c.padInfo;
  return {
    nodes: [
      t('x', 'xc', NHWC_TO_NCHW), t('w', 'wc', HWIO_TO_OIHW),
      { op, inputs: ['xc', 'wc'], outputs: ['yc'], attrs: {
        kernel_shape: [c.filterHeight, c.filterWidth], strides: [c.strideHeight, c.strideWidth],
        dilations: [c.dilationHeight, c.dilationWidth], pads: [top, left, bottom, right], ...extra,
      } },
      t('yc', 'y', NCHW_TO_NHWC),
    ],
    inputs: [['x', shapes.x], ['w', shapes.w]],
    outputs: [['y', shapes.y]],
  };
}

/** From this many values of x, a stride-1 dW slices its taps from x transposed to [Ci, N, H, W] (measured; see below). */
const CHANNELS_FIRST_DW_FROM = 4 * 1024 * 1024;

type Constant = NonNullable<OnnxGraph['constants']>[number];

/**
 * A Conv in MLAS's blocked (NCHWc) layout between NHWC tensors x and y: ReorderInput and
 * ReorderOutput at the edges, the HWIO filter w reordered in the graph to [O/B, I/B, kh,
 * kw, Bi, Bo]. onnxruntime rewrites a Conv into this form itself only when its filter
 * is a constant, which a training step's never is; without it a Conv is im2col plus
 * GEMM between two transposes. Written out, 3x3 convs ran 1.3-2x faster (ResNet-18's
 * layers, 16 to 256 channels). `swap`: w's in and out channels trade places, as in
 * dL/dx's filter. Both channel counts must be multiples of the block.
 */
function blockedConv(
  x: string, w: string, y: string, o: { kh: number; kw: number; inC: number; outC: number; block: number; swap: boolean },
  attrs: Record<string, number[]>,
): { nodes: OnnxNode[]; constants: Constant[] } {
  const { kh, kw, inC, outC, block: b, swap } = o;
  return {
    nodes: [
      { op: 'ReorderInput', domain: NCHWC_DOMAIN, inputs: [x], outputs: [`${x}_b`], attrs: { channels_last: 1 } },
      { op: 'Reshape', inputs: [w, 'w_blocks'], outputs: ['w6'] },
      // w as [kh, kw, I/B, Bi, O/B, Bo], or swapped [kh, kw, O/B, Bo, I/B, Bi].
      t('w6', 'w6b', swap ? [2, 4, 0, 1, 5, 3] : [4, 2, 0, 1, 3, 5]),
      { op: 'Reshape', inputs: ['w6b', 'w_oihw'], outputs: ['wb'] },
      { op: 'Conv', domain: NCHWC_DOMAIN, inputs: [`${x}_b`, 'wb'], outputs: [`${y}_b`], attrs },
      { op: 'ReorderOutput', domain: NCHWC_DOMAIN, inputs: [`${y}_b`], outputs: [y], attrs: { channels: outC, channels_last: 1 } },
    ],
    constants: [
      ['w_blocks', [6], swap ? [kh, kw, outC / b, b, inC / b, b] : [kh, kw, inC / b, b, outC / b, b]],
      ['w_oihw', [4], [outC, inC, kh, kw]],
    ],
  };
}

/**
 * Up to this many filter values (3x3 from 128 to 256 channels), the addon's register
 * tiles beat MLAS's blocked conv at the forward pass and dX; beyond, its filter rows no
 * longer stay in L2 and MLAS is faster (docs/backends.md, on 2 cores with AVX-512).
 */
const ADDON_CONV_UP_TO = 3 * 3 * 128 * 256;

/**
 * Whether the addon runs this conv: on AVX-512 only (its tiles hold 16 vectors of 16
 * floats, which spill on AVX2's 16 registers of 8, unmeasured), dilation 1, `channels`
 * (those its tiles vectorise) a multiple of 16, the filter within `limit`.
 */
const addonConv = (addon: Addon | null, c: tf.backend_util.Conv2DInfo, channels: number, limit = ADDON_CONV_UP_TO): addon is Addon =>
  addon !== null && addon.isa === 'x86-64-v4' && c.dilationHeight === 1 && c.dilationWidth === 1 && channels % 16 === 0 &&
  c.filterHeight * c.filterWidth * c.inChannels * c.outChannels <= limit;

/** A conv's shape as the addon takes it: [n, h, w, ci, oh, ow, co, kh, kw, sh, sw, top, left]. */
const addonDims = (c: tf.backend_util.Conv2DInfo) => Float32Array.from([
  c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels,
  c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left,
]);

/** Whether a conv from `inC` to `outC` channels can run blocked here. */
const canBlock = (ort: Ort, inC: number, outC: number) => ort.nchwcBlock > 0 && inC % ort.nchwcBlock === 0 && outC % ort.nchwcBlock === 0;

let registered = false;

export function registerNativeKernels(ort: Ort, addon: Addon | null): void {
  // Once: a second pass would take the first one's kernels for wasm's stock fallbacks.
  if (registered) return;
  registered = true;
  // These replace wasm's own replacements, whose functions they fall back to: wasm's first.
  registerWasmKernels();
  const stock = (name: string) => tf.getKernel(name, 'wasm')!.kernelFunc;
  const stockConv = stock('Conv2D'), stockDx = stock('Conv2DBackpropInput'), stockDw = stock('Conv2DBackpropFilter');
  const stockMatMul = stock('BatchMatMul');

  replaceKernel('Conv2D', (args) => {
    const { x, filter } = args.inputs as { x: Info; filter: Info };
    const a = args.attrs as unknown as ConvAttrs;
    const c = convInfo(x.shape, filter.shape, a);
    const { top, bottom, left, right } = c.padInfo;
    if ((a.dataFormat ?? 'NHWC') !== 'NHWC' || Math.min(top, bottom, left, right) < 0 ||
      onnxOut(c.inHeight, c.filterHeight, c.strideHeight, c.dilationHeight, top, bottom) !== c.outHeight ||
      onnxOut(c.inWidth, c.filterWidth, c.strideWidth, c.dilationWidth, left, right) !== c.outWidth) return stockConv(args);
    const b = args.backend as unknown as WasmBackend;
    const out = b.makeOutput(c.outShape, 'float32');
    if (addonConv(addon, c, c.outChannels)) {
      addon.convForward(b.typedArrayFromHeap(x), b.typedArrayFromHeap(filter), b.typedArrayFromHeap(out), addonDims(c), ort.threads);
      return out;
    }
    ort.run(`conv ${x.shape} ${filter.shape} ${c.strideHeight},${c.strideWidth} ${c.dilationHeight},${c.dilationWidth} ${top},${left},${bottom},${right}`,
      () => {
        const [kh, kw, inC, outC] = filter.shape;
        if (!canBlock(ort, inC, outC)) return nchwConv('Conv', c, { x: x.shape, w: filter.shape, y: c.outShape });
        const g = blockedConv('x', 'w', 'y', { kh, kw, inC, outC, block: ort.nchwcBlock, swap: false }, {
          kernel_shape: [kh, kw], strides: [c.strideHeight, c.strideWidth], dilations: [c.dilationHeight, c.dilationWidth], pads: [top, left, bottom, right],
        });
        return { ...g, inputs: [['x', x.shape], ['w', filter.shape]], outputs: [['y', c.outShape]] };
      },
      [b.typedArrayFromHeap(x), b.typedArrayFromHeap(filter)], [b.typedArrayFromHeap(out)]);
    return out;
  });

  // dL/dx: ConvTranspose of dy with the same filter, strides and pads; output_padding
  // restores the rows a strided forward conv dropped.
  replaceKernel('Conv2DBackpropInput', (args) => {
    const { dy, filter } = args.inputs as { dy: Info; filter: Info };
    const a = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
    const c = convInfo(a.inputShape, filter.shape, a);
    const { top, bottom, left, right } = c.padInfo;
    const extra = (size: number, o: number, k: number, s: number, d: number, before: number, after: number) =>
      size - (s * (o - 1) + (k - 1) * d + 1 - before - after);
    const oh = extra(c.inHeight, c.outHeight, c.filterHeight, c.strideHeight, c.dilationHeight, top, bottom);
    const ow = extra(c.inWidth, c.outWidth, c.filterWidth, c.strideWidth, c.dilationWidth, left, right);
    if ((a.dataFormat ?? 'NHWC') !== 'NHWC' || Math.min(top, bottom, left, right) < 0 ||
      oh < 0 || ow < 0 || oh >= Math.max(c.strideHeight, c.dilationHeight) || ow >= Math.max(c.strideWidth, c.dilationWidth)) return stockDx(args);
    const b = args.backend as unknown as WasmBackend;
    const out = b.makeOutput(a.inputShape, 'float32');
    if (addonConv(addon, c, c.inChannels)) {
      addon.convDx(b.typedArrayFromHeap(dy), b.typedArrayFromHeap(filter), b.typedArrayFromHeap(out), addonDims(c), ort.threads);
      return out;
    }
    if (c.strideHeight === 1 && c.strideWidth === 1) {
      // Stride 1: a forward Conv of dy with the filter flipped and its channels swapped,
      // padded to a full correlation; blocked where the channels allow. MLAS's
      // ConvTranspose is an im2col GEMM plus col2im: 1.1-2.2x slower on ResNet-18's 3x3
      // layers even than the unblocked Conv.
      const fullH = (c.filterHeight - 1) * c.dilationHeight, fullW = (c.filterWidth - 1) * c.dilationWidth;
      const pads = [fullH - top, fullW - left, fullH - bottom, fullW - right];
      if (Math.min(...pads) >= 0) {
        ort.run(`dx1 ${dy.shape} ${filter.shape} ${c.dilationHeight},${c.dilationWidth} ${pads}`, () => {
          const [kh, kw, ci, co] = filter.shape;
          const attrs = { kernel_shape: [kh, kw], strides: [1, 1], dilations: [c.dilationHeight, c.dilationWidth], pads };
          // The HWIO filter flipped in both spatial axes.
          const flip: OnnxNode = { op: 'Slice', inputs: ['w', 'last', 'before_first', 'spatial', 'back'], outputs: ['wf'] };
          const flipConstants: Constant[] = [
            ['last', [2], [kh - 1, kw - 1]], ['before_first', [2], [-kh - 1, -kw - 1]], ['spatial', [2], [0, 1]], ['back', [2], [-1, -1]],
          ];
          const g = canBlock(ort, co, ci)
            ? blockedConv('dy', 'wf', 'dx', { kh, kw, inC: co, outC: ci, block: ort.nchwcBlock, swap: true }, attrs)
            : {
              nodes: [
                t('dy', 'dyc', NHWC_TO_NCHW), t('wf', 'wc', HWIO_TO_IOHW),
                { op: 'Conv', inputs: ['dyc', 'wc'], outputs: ['dxc'], attrs }, t('dxc', 'dx', NCHW_TO_NHWC),
              ],
              constants: [],
            };
          return {
            nodes: [flip, ...g.nodes], constants: [...flipConstants, ...g.constants],
            inputs: [['dy', dy.shape], ['w', filter.shape]], outputs: [['dx', a.inputShape]],
          };
        }, [b.typedArrayFromHeap(dy), b.typedArrayFromHeap(filter)], [b.typedArrayFromHeap(out)]);
        return out;
      }
    }
    ort.run(`dx ${dy.shape} ${filter.shape} ${a.inputShape} ${c.strideHeight},${c.strideWidth} ${c.dilationHeight},${c.dilationWidth} ${top},${left},${bottom},${right}`,
      () => nchwConv('ConvTranspose', c, { x: dy.shape, w: filter.shape, y: a.inputShape }, { output_padding: [oh, ow] }),
      [b.typedArrayFromHeap(dy), b.typedArrayFromHeap(filter)], [b.typedArrayFromHeap(out)]);
    return out;
  });

  // dL/dW as one GEMM per filter tap, times dy as [N*OH*OW, Co]. Tap (ky, kx) is a
  // strided slice of the padded x, taken in one of two layouts, whichever measured
  // faster on ResNet-18's 3x3 layers (2 cores, AVX-512):
  // - NHWC, [N*OH*OW, Ci], with Gemm's transA instead of a transposed copy: up to 1.8x
  //   faster where x is under 4M values, and at stride 2;
  // - x transposed once to [Ci, N, H, W], each tap [Ci, N*OH*OW]: 1.15-1.4x faster at
  //   stride 1 from 4M values up (64 channels at 32x32 from batch 64).
  // Both beat the single-conv form (channels as the batch, dy as the filter) 2-2.5x.
  replaceKernel('Conv2DBackpropFilter', (args) => {
    const { x, dy } = args.inputs as { x: Info; dy: Info };
    const a = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
    const c = convInfo(x.shape, a.filterShape, a);
    const { top, left } = c.padInfo;
    if ((a.dataFormat ?? 'NHWC') !== 'NHWC' || top < 0 || left < 0) return stockDw(args);
    const [kh, kw, ci, co] = a.filterShape;
    const [n, h, w] = x.shape;
    const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c;
    const spanH = (kh - 1) * dh + (oh - 1) * sh + 1, spanW = (kw - 1) * dw + (ow - 1) * sw + 1;
    const bottom = Math.max(0, spanH - h - top), right = Math.max(0, spanW - w - left);
    const m = n * oh * ow;
    const b = args.backend as unknown as WasmBackend;
    const out = b.makeOutput(a.filterShape, 'float32');
    if (addonConv(addon, c, co, Infinity)) {
      // Faster than MLAS's GEMM per tap on every layer measured but one (a tie at 256→512), most on few channels (docs/backends.md).
      addon.convDw(b.typedArrayFromHeap(x), b.typedArrayFromHeap(dy), b.typedArrayFromHeap(out), addonDims(c), ort.threads);
      return out;
    }
    ort.run(`dw ${x.shape} ${dy.shape} ${a.filterShape} ${sh},${sw} ${dh},${dw} ${top},${left},${bottom},${right}`, () => {
      const padded = top || left || bottom || right;
      const channelsFirst = sh === 1 && sw === 1 && tf.util.sizeFromShape(x.shape) >= CHANNELS_FIRST_DW_FROM;
      const xp = padded ? 'xp' : 'x';
      const nodes: OnnxNode[] = [
        ...(padded ? [{ op: 'Pad', inputs: ['x', 'pads'], outputs: ['xp'] }] : []),
        ...(channelsFirst ? [t(xp, 'xt', [3, 0, 1, 2])] : []),
        { op: 'Reshape', inputs: ['dy', 'dy_shape'], outputs: ['dy2'] },
      ];
      const constants: Constant[] = [
        ...(padded ? [['pads', [8], [0, top, left, 0, 0, bottom, right, 0]] as Constant] : []),
        ['dy_shape', [2], [m, co]], ['tap_shape', [2], channelsFirst ? [ci, m] : [m, ci]],
        ['axes', [2], channelsFirst ? [2, 3] : [1, 2]], ['steps', [2], [sh, sw]], ['dw_shape', [4], a.filterShape],
      ];
      const taps: string[] = [];
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const id = `${ky}_${kx}`;
          constants.push([`from${id}`, [2], [ky * dh, kx * dw]], [`to${id}`, [2], [ky * dh + (oh - 1) * sh + 1, kx * dw + (ow - 1) * sw + 1]]);
          nodes.push(
            { op: 'Slice', inputs: [channelsFirst ? 'xt' : xp, `from${id}`, `to${id}`, 'axes', 'steps'], outputs: [`x${id}`] },
            { op: 'Reshape', inputs: [`x${id}`, 'tap_shape'], outputs: [`r${id}`] },
            { op: 'Gemm', inputs: [`r${id}`, 'dy2'], outputs: [`g${id}`], attrs: { transA: channelsFirst ? 0 : 1 } },
          );
          taps.push(`g${id}`);
        }
      }
      nodes.push({ op: 'Concat', inputs: taps, outputs: ['g'], attrs: { axis: 0 } }, { op: 'Reshape', inputs: ['g', 'dw_shape'], outputs: ['dw'] });
      return { nodes, constants, inputs: [['x', x.shape], ['dy', dy.shape]], outputs: [['dw', a.filterShape]] };
    }, [b.typedArrayFromHeap(x), b.typedArrayFromHeap(dy)], [b.typedArrayFromHeap(out)]);
    return out;
  });

  replaceKernel('BatchMatMul', (args) => {
    const { a, b: bm } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || bm.dtype !== 'float32') return stockMatMul(args);
    const ra = a.shape.length, rb = bm.shape.length;
    const m = a.shape[ra - (transposeA ? 1 : 2)], n = bm.shape[rb - (transposeB ? 2 : 1)];
    const batch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), bm.shape.slice(0, -2));
    const shape = [...batch, m, n];
    const swap = (r: number) => [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
    const be = args.backend as unknown as WasmBackend;
    const out = be.makeOutput(shape, 'float32');
    ort.run(`matmul ${a.shape} ${bm.shape} ${transposeA} ${transposeB}`, (): OnnxGraph => ({
      nodes: [
        ...(transposeA ? [t('a', 'at', swap(ra))] : []), ...(transposeB ? [t('b', 'bt', swap(rb))] : []),
        { op: 'MatMul', inputs: [transposeA ? 'at' : 'a', transposeB ? 'bt' : 'b'], outputs: ['y'] },
      ],
      inputs: [['a', a.shape], ['b', bm.shape]],
      outputs: [['y', shape]],
    }), [be.typedArrayFromHeap(a), be.typedArrayFromHeap(bm)], [be.typedArrayFromHeap(out)]);
    return out;
  });
}
