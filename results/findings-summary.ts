import { ours } from './render-table.ts';
import type { PaperTable } from './tables.ts';
import type { FindingVerdict } from './verdicts.ts';

/** The built-in experiments `simsiam reproduce` runs, in order (baseline's one cell is every table's default row). */
export const REPRODUCED = ['stopgrad', 'predictor', 'batchnorm', 'similarity', 'symmetry', 'moving-average', 'batch-size', 'alternation'] as const;

/** A finding with what the paper and we measured for its rows. */
export interface FindingRow extends FindingVerdict {
  paper: string;
  ours: string;
}

/** Every finding of the tables, with the rows' numbers: the paper's and ours (mean ± std, n). */
export function summaryRows(tables: PaperTable[]): FindingRow[] {
  return tables.flatMap((t) => t.findings.map((f) => {
    const lines = f.rows.map((r) => t.lines.find((l) => l.variant === r && Object.keys(l.axes).length === 0) ?? t.lines.find((l) => l.variant === r));
    const paper = f.rows.map((r, i) => `${r}: ${lines[i]?.paper ?? '–'}`).join('; ');
    const our = f.rows.map((r, i) => `${r}: ${lines[i] ? ours(lines[i]) : 'missing'}`).join('; ');
    return { ...f, paper, ours: our };
  }));
}

/** The findings summary as Markdown: one line per finding, then the count of each verdict. */
export function renderFindingsSummary(tables: PaperTable[]): string {
  const rows = summaryRows(tables);
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const count = (v: string) => rows.filter((r) => r.verdict === v).length;
  return [
    '### Findings', '',
    '| finding | experiment | the paper\'s claim | paper | ours | verdict | seeds | evidence |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${[r.id, r.experiment, r.claim, r.paper, r.ours, `**${r.verdict}**`, r.seeds.join(', ') || '–', r.evidence].map(cell).join(' | ')} |`),
    '',
    `${count('reproduced')} reproduced, ${count('not reproduced')} not reproduced, ${count('inconclusive')} inconclusive, of ${rows.length} findings.`,
    '',
  ].join('\n');
}
