import { ours } from './render-table.ts';
import { ALPHA } from './stats.ts';
import { decide, VERDICTS, type FindingVerdict } from './verdicts.ts';
import type { PaperTable } from './tables.ts';

/** The built-in experiments `simsiam reproduce` runs, in order (baseline's one cell is every table's default row). */
export const REPRODUCED = ['stopgrad', 'predictor', 'batchnorm', 'similarity', 'symmetry', 'moving-average', 'batch-size', 'alternation'] as const;

/** A finding with what the paper and we measured for its rows. */
export interface FindingRow extends FindingVerdict {
  paper: string;
  ours: string;
}

/**
 * The tables with their findings decided together: one Bonferroni correction over
 * every distinct comparison of all the tables (a report's family), not one per table.
 */
export function decideTogether(tables: PaperTable[]): PaperTable[] {
  const all = decide(tables.flatMap((t) => t.findings));
  let i = 0;
  return tables.map((t) => ({ ...t, findings: t.findings.map(() => all[i++]) }));
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

/** "4 reproduced, 3 not reproduced, …, of 11 findings", and which of them rest on shared cells. */
export function verdictCounts(rows: Pick<FindingVerdict, 'verdict' | 'id' | 'sharedWith'>[]): string {
  const counts = VERDICTS.map((v) => [v, rows.filter((r) => r.verdict === v).length] as const).filter(([v, n]) => n > 0 || v !== 'not testable at this preset');
  const shared = rows.filter((r) => r.sharedWith.length).map((r) => r.id);
  return `${counts.map(([v, n]) => `${n} ${v}`).join(', ')}, of ${rows.length} findings.` +
    (shared.length ? ` ${shared.join(', ')} rest in part on the same cells and tests as another finding: not independent evidence.` : '');
}

/** How the verdicts were reached, in a paragraph a reader can check against. */
export function methodLine(rows: FindingVerdict[]): string {
  const family = rows.flatMap((r) => r.parts).map((p) => p.comparison?.family ?? p.rate?.family).find((m) => m != null) ?? 0;
  return 'Every test weighs its claim against the claim\'s complement: per-run claims as exact binomial tests of their rate against ½, ' +
    'comparisons as one-sided paired t-tests over the seeds both rows ran (equivalence by TOST). ' +
    `Each enters the family with its smaller one-sided p; Bonferroni over the ${family} distinct test(s) of these findings decides at α = ${ALPHA} overall. ` +
    'Each shows its count or mean difference with a 95% CI (unadjusted) and, for comparisons, what its pairs resolve with 80% power at α/m. ' +
    'A finding made of parts is reproduced when every part is and not reproduced when any part is not. The rules: docs/findings.md.';
}

/** The findings summary as Markdown: one line per finding, its per-seed evidence folded under it, then the counts. */
export function renderFindingsSummary(tables: PaperTable[]): string {
  const rows = summaryRows(tables);
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '### Findings', '',
    verdictCounts(rows), '',
    '| finding | the paper\'s claim | paper | ours | verdict | counts or effect ± 95% interval |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${[r.id, r.claim + (r.metricNote ? ` (${r.metricNote})` : ''), r.paper, r.ours, `**${r.verdict}**`,
      r.evidence + (r.sharedWith.length ? ` (shares cells and tests with ${r.sharedWith.join(', ')}: counted once)` : '')].map(cell).join(' | ')} |`),
    '',
    methodLine(rows), '',
    ...rows.flatMap((r) => [`<details><summary>${r.id}: per-seed evidence (seeds ${r.seeds.join(', ') || 'none'})</summary>`, '', ...r.details.map((d) => `- ${d}`), '', '</details>', '']),
  ].join('\n');
}
