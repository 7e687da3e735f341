import { nativeCpu } from '../../../core/backends/native-cpu/index.ts';
import { backendContract } from '../../helpers/backend-contract.ts';

// An optional dependency that `npm ci` installs: CI must have it.
backendContract('native-cpu', await nativeCpu.probe(), { requiredInCi: true });
