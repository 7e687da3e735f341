import { tensorflowBackend } from './native.ts';

/** libtensorflow on the CPU, through @tensorflow/tfjs-node. */
export const tensorflow = tensorflowBackend('tensorflow', '@tensorflow/tfjs-node',
  'Install @tensorflow/tfjs-node (downloads libtensorflow at install), or use --backend auto.');
