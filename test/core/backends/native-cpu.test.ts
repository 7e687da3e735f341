import { loadOrt } from '../../../core/native/ort.ts';
import { backendContract } from '../../helpers/backend-contract.ts';

function unavailable(): string | null {
  try {
    loadOrt(1).dispose();
    return null;
  } catch (err) {
    return `onnxruntime-node does not load (${String((err as Error).message).split('\n')[0]}); install with \`npm install onnxruntime-node\``;
  }
}

// An optional dependency that `npm ci` installs: CI must have it.
backendContract('native-cpu', unavailable(), { requiredInCi: true });
