import type { EpochMetrics } from '../core/train.ts';

/** Percent with one decimal, or a dash. */
export function pct(x: number | null | undefined): string {
  return x == null || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)}%`;
}

/** One line of the per-epoch monitor table. */
export function epochLine(m: EpochMetrics, zRef: number): string {
  const knnTime = m.knnSeconds ? ` (${m.knnSeconds.toFixed(1)}s)` : '';
  if (m.epoch === 0) return `epoch   0 (random init)  kNN ${pct(m.knnAcc)}${knnTime}${m.linearAcc != null ? `  linear ${pct(m.linearAcc)}` : ''}`;
  return [
    `epoch ${String(m.epoch).padStart(3)}`,
    `loss ${m.loss.toFixed(4).padStart(8)}`,
    `z_std ${m.zStd.toFixed(4)} (1/√d ${zRef.toFixed(4)})`,
    `kNN ${pct(m.knnAcc).padStart(6)}${knnTime}`,
    `lr ${m.lr.toExponential(2)}`,
    `${m.seconds.toFixed(1)}s`,
    `data wait ${pct(m.dataWaitShare)}`,
  ].join('  ');
}

/** A size in the unit that reads best: 15.5 KiB, 148.2 MiB, 1.2 GiB. */
export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}
