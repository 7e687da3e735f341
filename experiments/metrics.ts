/**
 * Metric names recorded per epoch (and once at the end for linear_acc). `loss_std` and
 * `loss_max` are the std and the largest value of the per-step loss within the epoch.
 */
export const METRICS = ['loss', 'z_std', 'knn_acc', 'linear_acc', 'lr', 'loss_std', 'loss_max'] as const;
export type MetricName = (typeof METRICS)[number];
