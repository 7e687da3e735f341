import type { Cell } from './grid.ts';

export interface SweepSummary {
  total: number;
  skippedDone: number;
  /** Cells this process ran. */
  ran: number;
  /** Cells another process ran while this one waited for them. */
  ranElsewhere: number;
  /** Cells whose result came from another experiment's run of the same configuration. */
  reused: number;
  /** How the cells that ended during the sweep ended (here or elsewhere). */
  byStatus: Record<string, number>;
}

/** Count one cell's end in the summary. */
export function tally(summary: SweepSummary, status: string): void {
  summary.byStatus[status] = (summary.byStatus[status] ?? 0) + 1;
}

export function cellLabel(c: Pick<Cell, 'rowLabel' | 'axes' | 'seed'>): string {
  const axes = Object.entries(c.axes).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return `${c.rowLabel}${axes ? ` ${axes}` : ''} seed ${c.seed}`;
}
