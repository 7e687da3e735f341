import { methodLine, renderFindingsSummary, verdictCounts } from '../findings-summary.ts';
import { fmtDuration } from '../../runner/progress.ts';
import { renderTables } from '../render-table.ts';
import type { Report } from './build.ts';
import { forestPlot, forestRows } from './forest.ts';
import { lineChart } from './svg.ts';

export const REPORT_FORMATS = ['md', 'html', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Fig. 2's three panels for one experiment: training loss, z_std against 1/√d, kNN accuracy. */
export function curveCharts(c: Report['curves'][number]): string[] {
  const from = (ys: number[], first: number) => ys.map((y, i): [number, number] => [i + first, y]);
  return [
    lineChart({ title: `${c.experiment}: training loss`, xLabel: 'epoch', series: c.rows.map((r) => ({ label: r.label, points: from(r.loss, 1) })) }),
    lineChart({
      title: `${c.experiment}: z_std of z/‖z‖`, xLabel: 'epoch', series: c.rows.map((r) => ({ label: r.label, points: from(r.zStd, 1) })),
      reference: { y: c.zStdReference, label: `1/√d = ${c.zStdReference.toFixed(4)}` }, yFrom: 0,
    }),
    lineChart({ title: `${c.experiment}: kNN accuracy`, xLabel: 'epoch (0 = random init)', series: c.rows.map((r) => ({ label: r.label, points: from(r.knn.map((k) => 100 * k), 0) })) }),
  ];
}

/** Each finding's forest plot: its comparisons and rates with their intervals, thresholds and the paper's effect. */
export function forestCharts(r: Pick<Report, 'findings' | 'tables'>): { id: string; svg: string }[] {
  return r.findings.map((f) => {
    const t = r.tables.find((x) => x.experiment === f.experiment);
    const paperOf = (label: string) => {
      const p = t?.lines.find((l) => l.variant === label)?.paper;
      return typeof p === 'number' ? p : null;
    };
    return { id: f.id, svg: forestPlot(`${f.id}: ${f.verdict}`, forestRows(f, paperOf)) };
  }).filter((x) => x.svg);
}

function computeLine(r: Report): string {
  const statuses = Object.entries(r.compute.byStatus).map(([s, n]) => `${n} ${s}`).join(', ');
  return `${r.compute.cells} cells (${statuses}; ${r.compute.reused} reused from another experiment's identical cell); ` +
    `compute ${fmtDuration(r.compute.computeSeconds)} summed over cells, ${wallLine(r)}`;
}

function wallLine(r: Report): string {
  const parts = r.compute.parts > 1 ? ` in ${r.compute.parts} parts` : '';
  return `${fmtDuration(r.compute.wallSeconds)} wall time${parts} (pauses between parts not counted)`;
}

/** What the report's head says: the command that made its cells, and how long it took. */
function produced(r: Report): string {
  const env = (label: string) => r.environment.find((e) => e.label === label)?.value ?? '–';
  return `Produced by \`${r.command}\` in ${wallLine(r)}; preset ${r.preset}; ${r.seeds}; backend ${env('backend')}; commit ${env('commit')}; report made ${r.generatedAt}.`;
}

/** The report body as HTML (the dashboard's Report page shows the same). */
export function reportBodyHtml(r: Report): string {
  const summary = r.findings.map((f) => `<tr class="verdict-${f.verdict.replace(/ /g, '-')}"><td>${esc(f.id)}</td><td>${esc(f.claim)}${f.metricNote ? ` <small>(${esc(f.metricNote)})</small>` : ''}</td>` +
    `<td>${esc(f.paper)}</td><td>${esc(f.ours)}</td><td><em>${esc(f.verdict)}</em></td><td class="evidence">${esc(f.evidence)}` +
    `<details><summary>per seed (${esc(f.seeds.join(', ') || 'none')})</summary><ul>${f.details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul></details></td></tr>`);
  return [
    `<p class="produced">${esc(produced(r)).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`,
    `<p class="provenance">${r.provenance.lines.map((l) => esc(l).replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')).join(' ')}</p>`,
    `<h2>Findings at preset ${esc(r.preset)}</h2>`,
    `<p>${esc(verdictCounts(r.findings))}</p>`,
    '<table class="findings-summary"><thead><tr><th>finding</th><th>the paper\'s claim</th><th>paper</th><th>ours</th><th>verdict</th><th>counts or effect ± 95% interval</th></tr></thead>',
    `<tbody>${summary.join('\n')}</tbody></table>`,
    `<p class="method">${esc(methodLine(r.findings))}</p>`,
    '<h2>Verdicts drawn</h2>', `<div class="charts">${forestCharts(r).map((c) => c.svg).join('')}</div>`,
    '<h2>Tables</h2>', renderTables(r.tables, 'html', { findings: false }),
    '<h2>Curves (Fig. 2)</h2>', ...r.curves.map((c) => `<h3>${esc(c.experiment)}</h3><div class="charts">${curveCharts(c).join('')}</div>`),
    '<h2>Environment</h2>', `<dl class="environment">${r.environment.map((e) => `<dt>${esc(e.label)}</dt><dd>${esc(e.value)}</dd>`).join('')}</dl>`,
    '<h2>Cells and compute</h2>', `<p>${esc(computeLine(r))}</p>`,
  ].join('\n');
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}table{border-collapse:collapse;margin:.5em 0 1em}
th,td{border:1px solid #ccc;padding:3px 6px;font-size:13px;vertical-align:top}caption{text-align:left;font-weight:600;padding:4px 0}
.verdict-reproduced em{color:#1b7a1b;font-weight:600}.verdict-not-reproduced em{color:#b00020;font-weight:600}.verdict-inconclusive em{color:#666;font-weight:600}
.evidence{color:#444;font-size:12px}.charts svg{margin:0 8px 8px 0}dt{font-weight:600}dd{margin:0 0 .4em 1em}`;

/** The whole report, self-contained (styles and charts inline, nothing fetched). */
export function renderReport(r: Report, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({
        preset: r.preset,
        command: r.command,
        seeds: r.seeds,
        provenance: {
          plan: r.provenance.planHash, plan_path: r.provenance.planPath, plan_committed_at: r.provenance.planCommittedAt, first_cell_at: r.provenance.firstCellAt,
          cells_commits: r.provenance.cellsCommits, judging_commit: r.provenance.judgingCommit, rules_changed: r.provenance.rulesChanged, head: r.provenance.lines,
        },
        wall_seconds: Math.round(r.compute.wallSeconds),
        environment: Object.fromEntries(r.environment.map((e) => [e.label, e.value])),
        findings: r.findings.map((f) => ({
          id: f.id, experiment: f.experiment, claim: f.claim, verdict: f.verdict, metric: f.metric, seeds: f.seeds, evidence: f.evidence,
          not_judged: f.notJudged, shared_with: f.sharedWith, per_seed: f.details,
          parts: f.parts.map((p) => ({
            kind: p.kind, decision: p.decision, summary: p.summary,
            ...(p.comparison ? {
              comparison: p.comparison.what, claim: p.comparison.claim, mean_difference: p.comparison.effect.mean, ci95: [p.comparison.effect.lo, p.comparison.effect.hi],
              pairs: p.comparison.effect.n, p_claim: p.comparison.pClaim, p_against: p.comparison.pAgainst, p_adjusted: p.comparison.pAdjusted,
              family: p.comparison.family, detectable: p.comparison.detectable,
            } : {}),
          })),
        })),
      }, null, 2)}\n`;
    case 'html':
      return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>SimSiam reproduction report (${esc(r.preset)})</title><style>${STYLE}</style></head>\n` +
        `<body><h1>SimSiam reproduction report</h1>\n${reportBodyHtml(r)}\n</body></html>\n`;
    case 'md': {
      const img = (svg: string) => `![](data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')})`;
      return [
        '# SimSiam reproduction report', '', produced(r), '', r.provenance.lines.join(' '), '',
        renderFindingsSummary(r.tables),
        '## Verdicts drawn', '', 'Each comparison: the mean difference with its 95% interval, the claim\'s threshold dashed, the paper\'s difference as a diamond; each rate: k/n with its 95% interval against ½.', '',
        forestCharts(r).map((c) => img(c.svg)).join(' '), '',
        '## Tables', '', renderTables(r.tables, 'md', { findings: false }),
        '## Curves (Fig. 2)', '', ...r.curves.flatMap((c) => [`### ${c.experiment}`, '', curveCharts(c).map(img).join(' '), '']),
        '## Environment', '', ...r.environment.map((e) => `- **${e.label}**: ${e.value}`), '',
        '## Cells and compute', '', computeLine(r), '',
      ].join('\n');
    }
  }
}
