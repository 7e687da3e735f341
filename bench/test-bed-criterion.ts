/**
 * The Fashion-MNIST test bed's rule (docs/test-bed.md) applied to its candidates' runs:
 *   npx tsx bench/test-bed-criterion.ts docs/results/fashion-calibration.db
 * Reads only what the rule names, of the baseline candidates: linear accuracy at the end
 * and at init, kNN over the last two epochs, and each cell's time.
 */
import { openStore } from '../runner/store/open.ts';

const RULE = { learned: 5, ceiling: 95, slope: 1, seconds: 300 };
const db = process.argv[2] ?? 'docs/results/fashion-calibration.db';
const store = openStore(db, { readonly: true });
const runs = store.runSummaries('fashion-calibration').filter((r) => r.status === 'finished');
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows = [...new Set(runs.map((r) => r.rowLabel))].map((label) => {
  const rs = runs.filter((r) => r.rowLabel === label);
  const linear = mean(rs.map((r) => 100 * r.finalLinearAcc!));
  const init = mean(rs.map((r) => 100 * store.metrics(r.id, 'linear_acc').find((p) => p.epoch === 0)!.value));
  const slope = mean(rs.map((r) => {
    const knn = store.metrics(r.id, 'knn_acc');
    return (100 * (knn.at(-1)!.value - knn.at(-3)!.value)) / 2;
  }));
  const seconds = mean(rs.map((r) => (r.finishedAt!.getTime() - r.startedAt!.getTime()) / 1000));
  const checks = { learned: linear - init >= RULE.learned, ceiling: linear <= RULE.ceiling, settled: slope <= RULE.slope, affordable: seconds <= RULE.seconds };
  return { label, seeds: rs.map((r) => r.seed).join(','), linear, init, gain: linear - init, slope, seconds, qualifies: Object.values(checks).every(Boolean), checks };
});
process.stdout.write('| candidate | seeds | linear | linear at init | gain | kNN points/epoch, last 2 | s/cell | qualifies |\n|---|---|---|---|---|---|---|---|\n');
for (const r of rows) {
  const failed = Object.entries(r.checks).filter(([, ok]) => !ok).map(([k]) => k);
  process.stdout.write(`| ${r.label} | ${r.seeds} | ${r.linear.toFixed(1)} | ${r.init.toFixed(1)} | ${r.gain.toFixed(1)} | ${r.slope.toFixed(2)} | ${r.seconds.toFixed(0)} | ${r.qualifies ? 'yes' : `no (${failed.join(', ')})`} |\n`);
}
const ok = rows.filter((r) => r.qualifies).sort((a, b) => b.gain - a.gain);
const best = ok.filter((r) => r.gain >= ok[0]?.gain - 1).sort((a, b) => a.seconds - b.seconds)[0];
process.stdout.write(best ? `\nchosen: ${best.label} (largest gain ${ok[0].gain.toFixed(1)}; within 1 point, the cheapest)\n` : '\nno candidate qualifies\n');
store.close();
