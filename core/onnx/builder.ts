import type { Attr, OnnxGraph, OnnxNode } from './model.ts';

/**
 * Collects an ONNX graph as network modules emit it (Module.onnx): nodes, weights, and
 * each value's rank, which a module needs to lay out its per-channel constants (NCHW).
 */
export class OnnxBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly floats: NonNullable<OnnxGraph['floats']> = [];
  private readonly ranks = new Map<string, number>();
  private count = 0;

  /** A graph input of the given rank. */
  input(name: string, rank: number): string {
    this.ranks.set(name, rank);
    return name;
  }

  rank(x: string): number {
    const r = this.ranks.get(x);
    if (r == null) throw new Error(`no rank known for ${x}`);
    return r;
  }

  /** A float32 constant. */
  weight(name: string, dims: number[], values: Float32Array): string {
    const id = `${name}:${this.count++}`;
    this.floats.push([id, dims, values]);
    this.ranks.set(id, dims.length);
    return id;
  }

  /** One node; its output has rank `rank` (default: its first input's). */
  op(op: string, inputs: string[], attrs?: Record<string, Attr>, rank?: number): string {
    const out = `${op.toLowerCase()}_${this.count++}`;
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    this.ranks.set(out, rank ?? this.rank(inputs[0]));
    return out;
  }

  /** Give a value a fixed name (a graph output). */
  name(x: string, as: string): string {
    this.op('Identity', [x]);
    this.nodes[this.nodes.length - 1].outputs = [as];
    this.ranks.set(as, this.rank(x));
    return as;
  }
}
