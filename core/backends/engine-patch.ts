import * as tf from '@tensorflow/tfjs';
import { getFilteredNodesXToY, type TapeNode } from '@tensorflow/tfjs-core/dist/tape.js';

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  gradients: (f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean) => unknown;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T>(nameOrFn: string | (() => T), fn?: () => T): T;
}

let installed = false;

/**
 * Replace the engine's reverse pass with one that frees each node's output gradient
 * as soon as the tape walk has passed that node. Stock tfjs keeps every activation
 * gradient until the pass ends, which overflows wasm's 4 GiB heap at ResNet-18
 * batch 64. Same maths and node order as tfjs-core's backpropagateGradients.
 */
export function installLowMemoryGradients(): void {
  if (installed) return;
  installed = true;
  const engine = tf.engine() as unknown as EngineInternals;
  engine.gradients = function gradients(
    f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients = false,
  ) {
    if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
    const y = engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => engine.tidy('forward', f));
    if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
    const tape = getFilteredNodesXToY(engine.state.activeTape!, xs, y);
    if (!allowNoGradients && tape.length === 0) {
      throw new Error('Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you ' +
        'passed encloses all operations that lead from x to y.');
    }
    return engine.tidy('backward', () => {
      const grads = backprop(tape, y, dy, new Set(xs.map((x) => x.id)), engine);
      const result = xs.map((x) => grads.get(x.id)!);
      if (engine.state.gradientDepth === 0) {
        engine.state.activeTape!.forEach((node) => node.saved?.forEach((t) => t.dispose()));
        engine.state.activeTape = null;
      }
      return { value: y, grads: result };
    });
  };
}

function backprop(
  tape: TapeNode[], y: tf.Tensor, dy: tf.Tensor | undefined, keepIds: Set<number>, engine: EngineInternals,
): Map<number, tf.Tensor> {
  const grads = new Map<number, tf.Tensor>();
  // A gradient function may hand the same tensor object to several inputs: count holders.
  const holders = new Map<tf.Tensor, number>();
  const hold = (id: number, t: tf.Tensor) => {
    grads.set(id, t);
    holders.set(t, (holders.get(t) ?? 0) + 1);
  };
  const release = (id: number, t: tf.Tensor) => {
    grads.delete(id);
    const n = (holders.get(t) ?? 1) - 1;
    if (n > 0) holders.set(t, n);
    else {
      holders.delete(t);
      if (t !== dy) t.dispose();
    }
  };
  hold(y.id, dy ?? tf.onesLike(y));
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    const inputGrads = node.gradient(dys as tf.Tensor[]);
    for (const name in node.inputs) {
      if (!(name in inputGrads)) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}.`);
      const x = node.inputs[name];
      const dx = engine.tidy(() => inputGrads[name]());
      if (!tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(`Gradient of ${node.kernelName} input '${name}' has shape ${dx.shape}, expected ${x.shape}`);
      }
      const cur = grads.get(x.id);
      if (cur == null) hold(x.id, dx);
      else {
        const sum = tf.add(cur, dx);
        release(x.id, cur);
        if (!holders.has(dx) && dx !== dy) dx.dispose();
        hold(x.id, sum);
      }
    }
    for (const o of node.outputs) {
      const g = grads.get(o.id);
      if (g != null && !keepIds.has(o.id)) release(o.id, g);
    }
  }
  return grads;
}
