import { cpu } from './cpu/index.ts';
import { nativeCpu } from './native-cpu/index.ts';
import { tensorflowGpu } from './tensorflow-gpu/index.ts';
import { tensorflow } from './tensorflow/index.ts';
import type { Backend, BackendName } from './types.ts';
import { wasm } from './wasm/index.ts';
import { webgpu } from './webgpu/index.ts';

/**
 * The backends in the order `auto` tries them: the fastest that loads wins, the GPUs
 * first (`auto` takes `webgpu` only on a hardware adapter). A new backend is a folder
 * beside these and one line here.
 */
export const BACKEND_LIST: readonly Backend[] = [tensorflowGpu, webgpu, tensorflow, nativeCpu, wasm, cpu];

export const BACKEND_BY_NAME = Object.fromEntries(BACKEND_LIST.map((b) => [b.name, b])) as Record<BackendName, Backend>;
