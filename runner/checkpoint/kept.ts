import fs from 'node:fs';
import { decodeSafetensors, DamagedFileError } from '../../core/checkpoint/safetensors.ts';
import { encoderVariables, loadVariables } from '../../core/checkpoint/variables.ts';
import type { TrainConfig } from '../../core/config.ts';
import { imageShape } from '../../core/data/sizes.ts';
import { buildSiamese, type SiameseNet } from '../../core/nets/siamese.ts';
import { SetupError, UserError } from '../../core/user-error.ts';
import { validateConfig } from '../../experiments/validate.ts';
import type { Run, RunStore } from '../store/run-store.ts';

/** A run named by its id or its cell's config hash (the newest finished run of that cell). */
export function findRun(store: RunStore, ref: string): Run {
  // A cell hash first: one may be all digits.
  if (!/^[0-9a-f]{16}$/.test(ref) && /^\d+$/.test(ref)) {
    const r = store.findRuns().find((x) => x.id === Number(ref));
    if (!r) throw new UserError(`no run ${ref} in this database; \`simsiam runs\` or the dashboard lists them`);
    return r;
  }
  if (!/^[0-9a-f]{16}$/.test(ref)) throw new UserError(`'${ref}' is neither a run id nor a cell's 16-hex-digit config hash`);
  const runs = store.findRuns().filter((x) => x.cellHash === ref);
  const r = runs.filter((x) => x.kept).at(-1) ?? runs.at(-1);
  if (!r) throw new UserError(`no run of cell ${ref} in this database`);
  return r;
}

/** The run's trained encoder, rebuilt from its configuration and kept weights (on the backend in use). */
export function loadKept(run: Run): { net: SiameseNet; config: TrainConfig; channels: number; size: number } {
  const rerun = 'rerun it with --keep encoder (the default) and --force';
  if (!run.kept) throw new UserError(`run ${run.id} kept no network (status ${run.status}${run.reusedFrom ? `, a copy of run ${run.reusedFrom}` : ''}); ${rerun}`);
  if (!fs.existsSync(run.kept.file)) {
    throw new SetupError(`run ${run.id}'s ${run.kept.kind === 'all' ? 'final state' : 'encoder'} is not at ${run.kept.file} (it was kept on ${run.host}): copy it there, or ${rerun}`);
  }
  let arrays;
  try {
    arrays = decodeSafetensors(fs.readFileSync(run.kept.file)).arrays;
  } catch (err) {
    if (err instanceof DamagedFileError) throw new SetupError(`${run.kept.file} is damaged (${err.message}); ${rerun}`);
    throw err;
  }
  const config = validateConfig(run.config, `run ${run.id}'s config`);
  const { channels, size } = imageShape(config.data);
  const net = buildSiamese(config, channels);
  try {
    loadVariables(encoderVariables(net), arrays);
  } catch (err) {
    net.dispose();
    throw new SetupError(`${run.kept.file} does not fit run ${run.id}'s network (${(err as Error).message}); ${rerun}`);
  }
  return { net, config, channels, size };
}
