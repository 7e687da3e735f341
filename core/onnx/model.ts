/**
 * ONNX models of a few float32 nodes, written as protobuf bytes for onnxruntime. Only the
 * ModelProto fields such a graph needs (nodes with int and ints attributes, int64
 * constants, inputs and outputs with static shapes) are encoded: a schema library for six messages written,
 * never read, would be larger than this.
 */

export type Attr = number | number[];

export interface OnnxNode {
  op: string;
  /** Operator set domain; the default ('') is ONNX's own. */
  domain?: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, Attr>;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  /** Constant int64 tensors (shapes, pads, slice bounds): name, dims, values. */
  constants?: [name: string, dims: number[], values: number[]][];
  /** Constant float32 tensors (weights), stored as raw bytes. */
  floats?: [name: string, dims: number[], values: Float32Array][];
  /** A dimension is a size, or a name for one given at run time (the batch). */
  inputs: [name: string, shape: (number | string)[]][];
  outputs: [name: string, shape: (number | string)[]][];
}

const OPSET = 17;
const IR_VERSION = 8;
const FLOAT = 1;
const INT64 = 7;
const ATTR_INT = 2;
const ATTR_INTS = 7;

const utf8 = new TextEncoder();

function varint(n: number): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // int64 two's complement, as protobuf writes negatives
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

const key = (field: number, wire: 0 | 2) => varint((field << 3) | wire);
const int = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const message = (field: number, body: number[]) => [...key(field, 2), ...varint(body.length), ...body];
const text = (field: number, s: string) => message(field, [...utf8.encode(s)]);

function attribute(name: string, v: Attr): number[] {
  // AttributeProto: name = 1, i = 3, ints = 8 (packed), type = 20.
  return Array.isArray(v)
    ? [...text(1, name), ...message(8, v.flatMap(varint)), ...int(20, ATTR_INTS)]
    : [...text(1, name), ...int(3, v), ...int(20, ATTR_INT)];
}

function node(n: OnnxNode): number[] {
  // NodeProto: input = 1, output = 2, op_type = 4, attribute = 5, domain = 7.
  return [
    ...n.inputs.flatMap((i) => text(1, i)), ...n.outputs.flatMap((o) => text(2, o)), ...text(4, n.op),
    ...Object.entries(n.attrs ?? {}).flatMap(([k, v]) => message(5, attribute(k, v))),
    ...(n.domain ? text(7, n.domain) : []),
  ];
}

function valueInfo(name: string, shape: (number | string)[]): number[] {
  // ValueInfoProto{name = 1, type = 2: TypeProto{tensor_type = 1: {elem_type = 1, shape = 2: {dim = 1: {dim_value = 1 | dim_param = 2}}}}}
  const dims = shape.flatMap((d) => message(1, typeof d === 'number' ? int(1, d) : text(2, d)));
  return [...text(1, name), ...message(2, message(1, [...int(1, FLOAT), ...message(2, dims)]))];
}

function int64Tensor(name: string, dims: number[], values: number[]): number[] {
  // TensorProto: dims = 1, data_type = 2, int64_data = 7 (packed), name = 8.
  return [...message(1, dims.flatMap(varint)), ...int(2, INT64), ...message(7, values.flatMap(varint)), ...text(8, name)];
}

/** A float32 TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 (the values' bytes, little-endian, uncopied). */
function floatTensor(name: string, dims: number[], values: Float32Array): Uint8Array[] {
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return [Uint8Array.from([...message(1, dims.flatMap(varint)), ...int(2, FLOAT), ...text(8, name), ...key(9, 2), ...varint(raw.length)]), raw];
}

/** A length-delimited field over byte chunks (weights are too large for number arrays). */
function chunkedMessage(field: number, body: Uint8Array[]): Uint8Array[] {
  return [Uint8Array.from([...key(field, 2), ...varint(body.reduce((n, b) => n + b.length, 0))]), ...body];
}

/** The serialized ModelProto of `g` (opset 17, float32 tensors). */
export function onnxModel(g: OnnxGraph): Uint8Array {
  // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.
  const graph = [
    Uint8Array.from([
      ...g.nodes.flatMap((n) => message(1, node(n))), ...text(2, 'g'),
      ...(g.constants ?? []).flatMap(([n, d, v]) => message(5, int64Tensor(n, d, v))),
    ]),
    ...(g.floats ?? []).flatMap(([n, d, v]) => chunkedMessage(5, floatTensor(n, d, v))),
    Uint8Array.from([...g.inputs.flatMap(([n, s]) => message(11, valueInfo(n, s))), ...g.outputs.flatMap(([n, s]) => message(12, valueInfo(n, s)))]),
  ];
  // ModelProto: ir_version = 1, graph = 7, opset_import = 8 {domain = 1, version = 2}.
  const domains = [...new Set(g.nodes.map((n) => n.domain).filter((d): d is string => !!d))];
  return Buffer.concat([
    Uint8Array.from([...int(1, IR_VERSION), ...message(8, [...text(1, ''), ...int(2, OPSET)]), ...domains.flatMap((d) => message(8, [...text(1, d), ...int(2, 1)]))]),
    ...chunkedMessage(7, graph),
  ]);
}
