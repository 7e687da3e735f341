import { createRequire } from 'node:module';
import { backendContract } from '../../helpers/backend-contract.ts';

const require = createRequire(import.meta.url);

function unavailable(): string | null {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return null;
  } catch {
    return '@tensorflow/tfjs-node is not installed (its install downloads libtensorflow: `npm install @tensorflow/tfjs-node`)';
  }
}

backendContract('tensorflow', unavailable());
