import type { PaperTable, TableLine } from './tables.ts';
import type { FindingVerdict } from './verdicts.ts';

export const TABLE_FORMATS = ['md', 'html', 'csv', 'latex', 'json'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

const METRIC_LABEL: Record<string, string> = { knn_acc: 'kNN acc.', linear_acc: 'linear acc.', loss: 'loss', z_std: 'z std', lr: 'lr' };

/** Our value as mean ± std (n, failed runs), or why there is none. */
export function ours(l: TableLine): string {
  const failed = [l.failed ? `${l.failed} failed` : '', l.damaged ? `${l.damaged} damaged` : ''].filter(Boolean).join(', ');
  if (l.mean == null) return failed ? `– (${failed})` : l.outcome === 'missing' ? 'missing' : '–';
  const n = `n=${l.n}${failed ? `, ${failed}` : ''}`;
  return l.n > 1 ? `${l.mean.toFixed(1)} ± ${(l.std ?? 0).toFixed(1)} (${n})` : `${l.mean.toFixed(1)} (${n})`;
}

/** The paper's number or word. */
export function paper(l: TableLine): string {
  return l.paper == null ? '–' : typeof l.paper === 'number' ? l.paper.toFixed(1) : l.paper;
}

/** Final z_std against 1/sqrt(d). */
export function zstd(l: TableLine): string {
  return l.zStd == null ? '–' : `${l.zStd.toFixed(4)} / ${l.zStdReference!.toFixed(4)}`;
}

function cells(t: PaperTable): { head: string[]; rows: string[][] } {
  const axisNames = [...new Set(t.lines.flatMap((l) => Object.keys(l.axes)))];
  const knn = t.metric !== 'knn_acc';
  const head = ['variant', ...axisNames, `ours: ${METRIC_LABEL[t.metric] ?? t.metric} (%)`, ...(knn ? ['kNN acc. (%)'] : []), 'paper (%)', 'outcome', 'final z_std / 1/√d', 'final loss'];
  const rows = t.lines.map((l) => [
    l.variant, ...axisNames.map((a) => (a in l.axes ? JSON.stringify(l.axes[a]) : '')), ours(l), ...(knn ? [l.knn == null ? '–' : l.knn.toFixed(1)] : []),
    paper(l), l.outcome, zstd(l), l.loss == null ? '–' : l.loss.toFixed(4),
  ]);
  return { head, rows };
}

function caption(t: PaperTable): string {
  return `${t.title} (${t.source}); ours at preset ${t.preset ?? '–'}${t.metricNote ? ` (${t.metricNote})` : ''}, paper: ImageNet linear top-1`;
}

/** A finding's verdict in one line: id, verdict, claim, then its counts or effects. */
export function findingLine(f: FindingVerdict): string {
  const metric = f.metricNote ? ` [${f.metricNote}]` : '';
  const shared = f.sharedWith.length ? ` (shares cells and tests with ${f.sharedWith.join(', ')}: counted once)` : '';
  return `${f.id}: ${f.verdict.toUpperCase()} (seeds ${f.seeds.length ? f.seeds.join(',') : 'none'}). ${f.claim}${metric} Evidence: ${f.evidence}${shared}`;
}

const escHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const escTex = (s: string) => s.replace(/\\/g, '\\textbackslash{}').replace(/([&%$#_{}])/g, '\\$1').replace(/±/g, '$\\pm$').replace(/√/g, '$\\surd$');
const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Render paper tables in one format; `findings: false` leaves out the findings under each table (a report lists them once, above). */
export function renderTables(tables: PaperTable[], format: TableFormat, opts: { findings?: boolean } = {}): string {
  if (opts.findings === false) tables = tables.map((t) => ({ ...t, findings: [] }));
  switch (format) {
    case 'json':
      return `${JSON.stringify(tables, null, 2)}\n`;
    case 'md':
      return tables.map((t) => {
        const { head, rows } = cells(t);
        const line = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
        const findings = t.findings.flatMap((f) => [
          `- **${f.id}**: *${f.verdict}* (seeds ${f.seeds.length ? f.seeds.join(', ') : 'none'}). ${f.claim}${f.metricNote ? ` [${f.metricNote}]` : ''} ${f.evidence}`,
          ...f.details.map((d) => `  - ${d}`),
        ]);
        return [`### ${t.experiment}: ${caption(t)}`, '', line(head), line(head.map(() => '---')), ...rows.map(line), '', ...(findings.length ? [...findings, ''] : [])].join('\n');
      }).join('\n');
    case 'csv':
      return tables.map((t) => {
        const { head, rows } = cells(t);
        const table = [['experiment', ...head], ...rows.map((r) => [t.experiment, ...r])];
        const findings = t.findings.length
          ? [[], ['experiment', 'finding', 'verdict', 'seeds', 'claim', 'evidence', 'per seed'], ...t.findings.map((f) => [t.experiment, f.id, f.verdict, f.seeds.join(' '), f.claim, f.evidence, f.details.join('; ')])]
          : [];
        return [...table, ...findings].map((r) => r.map(csvCell).join(',')).join('\n');
      }).join('\n') + '\n';
    case 'html':
      return tables.map((t) => {
        const { head, rows } = cells(t);
        return `<table class="paper-table" data-experiment="${escHtml(t.experiment)}">\n<caption>${escHtml(caption(t))}</caption>\n` +
          `<thead><tr>${head.map((h) => `<th>${escHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n` +
          rows.map((r) => `<tr>${r.map((c) => `<td>${escHtml(c)}</td>`).join('')}</tr>`).join('\n') + '\n</tbody>\n</table>\n' +
          (t.findings.length ? `<ul class="findings" data-experiment="${escHtml(t.experiment)}">\n${t.findings.map((f) =>
            `<li class="finding verdict-${f.verdict.replace(' ', '-')}"><strong>${escHtml(f.id)}</strong>: <em>${escHtml(f.verdict)}</em> ` +
            `(seeds ${escHtml(f.seeds.join(', ') || 'none')}). ${escHtml(f.claim)} <span class="evidence">${escHtml(f.evidence)}</span>` +
            `<details><summary>per seed</summary><ul>${f.details.map((d) => `<li>${escHtml(d)}</li>`).join('')}</ul></details></li>`).join('\n')}\n</ul>\n` : '');
      }).join('\n');
    case 'latex':
      return tables.map((t) => {
        const { head, rows } = cells(t);
        return [
          '\\begin{table}[t]', '\\centering', `\\caption{${escTex(caption(t))}}`, `\\begin{tabular}{l${'c'.repeat(head.length - 1)}}`, '\\toprule',
          `${head.map(escTex).join(' & ')} \\\\`, '\\midrule', ...rows.map((r) => `${r.map(escTex).join(' & ')} \\\\`),
          '\\bottomrule', '\\end{tabular}', '\\end{table}',
          ...(t.findings.length ? ['\\begin{itemize}', ...t.findings.map((f) => `\\item ${escTex(findingLine(f))}`), '\\end{itemize}'] : []), '',
        ].join('\n');
      }).join('\n');
  }
}
