import { tensorflow } from '../../../core/backends/tensorflow/index.ts';
import { backendContract } from '../../helpers/backend-contract.ts';

backendContract('tensorflow', await tensorflow.probe());
