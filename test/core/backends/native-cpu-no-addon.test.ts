import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../core/backend.ts';
import { nativeCpu } from '../../../core/backends/native-cpu/index.ts';
import { FUSED_BN_GRAD_KERNEL, FUSED_BN_KERNEL } from '../../../core/nets/batch-norm.ts';
import { FUSED_SGD_KERNEL } from '../../../core/optimizer.ts';
import { backendContract } from '../../helpers/backend-contract.ts';

// native-cpu as it runs where its addon did not build: tfjs's batch norm and optimizer
// on wasm, onnxruntime for every convolution.
process.env.SIMSIAM_ADDON = 'off';
const skip = await nativeCpu.probe();
backendContract('native-cpu', skip, { requiredInCi: true });

(skip ? test.skip : test.serial)(`native-cpu under SIMSIAM_ADDON=off registers none of the addon's kernels and records none${skip ? ` [skipped: ${skip}]` : ''}`, async (t) => {
  const b = await useBackend('native-cpu');
  for (const k of [FUSED_BN_KERNEL, FUSED_BN_GRAD_KERNEL, FUSED_SGD_KERNEL]) t.true(tf.getKernel(k, 'wasm') === undefined, k);
  t.regex(b.library ?? '', /^onnxruntime [\d.]+$/, 'the device column names onnxruntime alone, as before the addon');
  t.regex(b.note ?? '', /addon off \(SIMSIAM_ADDON=off\)/, 'the log says why');
});
