import { tensorflowBackend } from '../tensorflow/native.ts';

/** libtensorflow with CUDA, through @tensorflow/tfjs-node-gpu. */
export const tensorflowGpu = tensorflowBackend('tensorflow-gpu', '@tensorflow/tfjs-node-gpu',
  'Install @tensorflow/tfjs-node-gpu (needs CUDA and network access at install), or use --backend auto.');
