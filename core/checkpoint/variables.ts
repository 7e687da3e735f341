import * as tf from '@tensorflow/tfjs';
import type { SiameseNet } from '../nets/siamese.ts';
import { stableName, type StateArrays } from './snapshot.ts';

/** The encoder f of Sec. 3, backbone and projector, with their BN statistics: what is kept and exported of a finished run. */
export function encoderVariables(net: SiameseNet): tf.Variable[] {
  return [net.backbone, net.projector].flatMap((m) => [...m.trainable, ...m.state]);
}

/** The variables' values as `var/<stable name>` arrays (read asynchronously, as a GPU backend must). */
export async function variableArrays(vars: tf.Variable[]): Promise<StateArrays> {
  const out: StateArrays = {};
  for (const v of vars) {
    const key = `var/${stableName(v.name)}`;
    if (key in out) throw new Error(`two variables are named ${key}: a checkpoint could not tell them apart`);
    out[key] = (await v.data()) as Float32Array;
  }
  return out;
}

/** Assign every variable its `var/` array; throws naming the first one that is missing or of another size. */
export function loadVariables(vars: tf.Variable[], arrays: StateArrays): void {
  for (const v of vars) {
    const key = `var/${stableName(v.name)}`;
    const a = arrays[key];
    if (!(a instanceof Float32Array) || a.length !== v.size) {
      throw new Error(`${key} is ${a ? `${a.length} values` : 'missing'} where the network has ${v.size}`);
    }
    tf.tidy(() => v.assign(tf.tensor(a, v.shape, 'float32')));
  }
}
