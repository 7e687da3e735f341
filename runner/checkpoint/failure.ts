import { StoreWriteError } from '../store/failure.ts';

/**
 * A checkpoint that could not be written: handled as a failed write to the results
 * database is (the sweep stops in order, exits 3, the same command resumes), since both
 * mean the disk under the sweep refuses its work.
 */
export class CheckpointWriteFailure extends StoreWriteError {}
