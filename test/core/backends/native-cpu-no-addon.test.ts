import { nativeCpu } from '../../../core/backends/native-cpu/index.ts';
import { backendContract } from '../../helpers/backend-contract.ts';

// native-cpu as it runs where its addon did not build: tfjs's batch norm and optimizer
// on wasm, onnxruntime for every convolution.
process.env.SIMSIAM_ADDON = 'off';
backendContract('native-cpu', await nativeCpu.probe(), { requiredInCi: true });
