import { scaleLinear } from 'd3-scale';
import type { FindingVerdict } from '../verdicts.ts';

/**
 * Verdicts drawn (docs/findings.md, "Reading a forest plot"): each comparison of a finding
 * as its mean difference with its 95% interval, the claim's threshold (dashed) and the
 * paper's difference (a diamond); each rate as k/n with its 95% interval against ½.
 */

export interface ForestRow {
  label: string;
  kind: 'effect' | 'rate';
  mean: number;
  lo: number;
  hi: number;
  /** The claim's thresholds on this row's scale (0, −margin, ±bound; ½ for a rate). */
  thresholds: number[];
  paper: number | null;
  decision: string;
  unit: string;
}

/** A finding's rows: its decided comparisons and rates; `paperOf` gives a table row's paper number. */
export function forestRows(f: FindingVerdict, paperOf: (label: string) => number | null): ForestRow[] {
  return f.parts.flatMap((p): ForestRow[] => {
    if (p.comparison) {
      const c = p.comparison, [a, b] = p.rows ?? [];
      const pa = a != null ? paperOf(a) : null, pb = b != null ? paperOf(b) : null;
      return [{ label: c.what, kind: 'effect', mean: c.effect.mean, lo: c.effect.lo, hi: c.effect.hi, thresholds: c.threshold,
        paper: p.kind !== 'unstable' && pa != null && pb != null ? pa - pb : null, decision: p.decision ?? 'inconclusive', unit: c.unit }];
    }
    if (p.rate) {
      const r = p.rate;
      return [{ label: `"${r.row}" ${p.kind} ${r.k}/${r.n}`, kind: 'rate', mean: r.k / r.n, lo: r.lower, hi: r.upper, thresholds: [0.5], paper: null, decision: p.decision ?? 'inconclusive', unit: 'rate' }];
    }
    return [];
  });
}

const COLOR: Record<string, string> = { reproduced: '#1b7a1b', 'not reproduced': '#b00020', inconclusive: '#666' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const W = 560, LABEL = 230, ROW = 24, TOP = 22, AXIS = 24;

/** One panel of rows on a shared x scale. */
function panel(rows: ForestRow[], y0: number, domain: [number, number], axisLabel: string): string {
  const x = scaleLinear().domain(domain).nice().range([LABEL + 10, W - 14]);
  const h = rows.length * ROW;
  const ticks = x.ticks(5).map((t) => `<g transform="translate(${x(t)},${y0 + h})"><line y2="4" stroke="#333"/><text y="14" text-anchor="middle">${x.tickFormat(5)(t)}</text></g>`);
  const thresholds = [...new Set(rows.flatMap((r) => r.thresholds))].map((t) =>
    `<line x1="${x(t)}" x2="${x(t)}" y1="${y0}" y2="${y0 + h}" stroke="#999" stroke-dasharray="4 3"><title>the claim's threshold ${t}</title></line>`);
  const marks = rows.map((r, i) => {
    const y = y0 + i * ROW + ROW / 2, c = COLOR[r.decision] ?? '#666';
    const paper = r.paper != null ? `<path d="M${x(r.paper)},${y - 5}l5,5l-5,5l-5,-5z" fill="none" stroke="#000"><title>the paper: ${r.paper.toFixed(1)}</title></path>` : '';
    return `<text x="${LABEL}" y="${y + 3}" text-anchor="end">${esc(r.label.length > 40 ? `${r.label.slice(0, 39)}…` : r.label)}</text>` +
      `<line x1="${x(r.lo)}" x2="${x(r.hi)}" y1="${y}" y2="${y}" stroke="${c}" stroke-width="2"/>` +
      `<circle cx="${x(r.mean)}" cy="${y}" r="3.5" fill="${c}"><title>${esc(`${r.label}: ${r.mean.toFixed(3)} [${r.lo.toFixed(3)}, ${r.hi.toFixed(3)}] → ${r.decision}`)}</title></circle>${paper}`;
  });
  return `${thresholds.join('')}${marks.join('')}<line x1="${LABEL + 10}" x2="${W - 14}" y1="${y0 + h}" y2="${y0 + h}" stroke="#333"/>${ticks.join('')}` +
    `<text x="${(LABEL + W) / 2}" y="${y0 + h + AXIS}" text-anchor="middle" fill="#333">${esc(axisLabel)}</text>`;
}

/** A finding's forest plot as a standalone SVG, or '' where it has nothing decided to draw. */
export function forestPlot(title: string, rows: ForestRow[]): string {
  const groups: [ForestRow[], string][] = [];
  const units = [...new Set(rows.filter((r) => r.kind === 'effect').map((r) => r.unit))];
  for (const u of units) groups.push([rows.filter((r) => r.kind === 'effect' && r.unit === u), `difference${u ? ` (${u})` : ' (loss std)'}, 95% CI unadjusted; dashed: the claim's threshold; ◇ the paper`]);
  const rates = rows.filter((r) => r.kind === 'rate');
  if (rates.length) groups.push([rates, 'share of runs holding the claim, 95% CI unadjusted; dashed: ½']);
  if (!groups.length) return '';
  let y = TOP;
  const panels = groups.map(([rs, label]) => {
    const finite = rs.flatMap((r) => [r.lo, r.hi, r.mean, ...r.thresholds, ...(r.paper != null ? [r.paper] : [])]).filter(Number.isFinite);
    const domain: [number, number] = rs[0].kind === 'rate' ? [0, 1] : [Math.min(0, ...finite), Math.max(0, ...finite)];
    const out = panel(rs.map((r) => ({ ...r, lo: Number.isFinite(r.lo) ? r.lo : domain[0], hi: Number.isFinite(r.hi) ? r.hi : domain[1] })), y, domain, label);
    y += rs.length * ROW + AXIS + 16;
    return out;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${y}" width="${W}" height="${y}" font-family="sans-serif" font-size="10" role="img" aria-label="${esc(title)}">` +
    `<text x="4" y="14" font-size="12" font-weight="bold">${esc(title)}</text>${panels.join('')}</svg>`;
}
