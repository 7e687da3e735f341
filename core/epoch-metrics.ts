/** Monitors of one epoch; epoch 0 is the randomly initialised network (kNN, and the linear probe where the config trains one). */
export interface EpochMetrics {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  /** Std over the epoch's steps of the training loss: how much it moves within an epoch (instability, Table 3d). */
  lossStd: number;
  /** Largest step loss of the epoch. */
  lossMax: number;
  /** Mean z_std over the epoch's steps; reference 1/sqrt(d). */
  zStd: number;
  /** kNN top-1 as a fraction, null where not evaluated. */
  knnAcc: number | null;
  /**
   * Linear-probe top-1 of the random-init network (epoch 0 only, where the config trains a
   * probe): what "learned" is judged against on the probe's metric. The run's final probe
   * is TrainResult.linearAcc.
   */
  linearAcc?: number | null;
  /** Encoder lr at the epoch's last step. */
  lr: number;
  seconds: number;
  /** Share of the epoch's wall time the step loop spent waiting for augmented views. */
  dataWaitShare: number;
  /** Wall time of this epoch's kNN monitor (features of train and test sets, then the vote), 0 where not run; not in `seconds`. */
  knnSeconds: number;
}
