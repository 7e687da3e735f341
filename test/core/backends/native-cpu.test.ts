import { nativeCpu } from '../../../core/backends/native-cpu/index.ts';
import { FUSED_BN_GRAD_KERNEL, FUSED_BN_KERNEL } from '../../../core/nets/batch-norm.ts';
import { FUSED_SGD_KERNEL } from '../../../core/optimizer.ts';
import { backendContract } from '../../helpers/backend-contract.ts';
import { addonSkip } from '../../helpers/addon.ts';

// onnxruntime-node is an optional dependency that `npm ci` installs, and the addon builds
// at `npm ci` wherever a C compiler is: CI must have both, unless told to do without the
// addon (SIMSIAM_ADDON=off). native-cpu-no-addon.test.ts runs without it.
const missing = await nativeCpu.probe();
const optedOut = process.env.SIMSIAM_ADDON === 'off';
backendContract('native-cpu', missing ?? addonSkip(), {
  requiredInCi: missing !== null || !optedOut,
  fusedKernels: [FUSED_BN_KERNEL, FUSED_BN_GRAD_KERNEL, FUSED_SGD_KERNEL],
});
