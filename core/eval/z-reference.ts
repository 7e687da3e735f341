/**
 * The healthy reference 1/sqrt(d) of the collapse monitor (docs/method.md#collapse-metric):
 * the per-channel std of z/|z| when z is spread evenly over the unit sphere. Free of
 * TensorFlow.js, so that tables and the dashboard can use it without loading it.
 */
export function zStdReference(dim: number): number {
  return 1 / Math.sqrt(dim);
}
