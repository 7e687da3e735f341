import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';

/** One line of a chart: its label and (x, y) points; NaN y values break the line. */
export interface Series {
  label: string;
  points: [number, number][];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  series: Series[];
  /** Where the y axis starts, when it should include a value (z_std from 0, where collapse lies). */
  yFrom?: number;
  /** A dashed horizontal reference, e.g. z_std's 1/√d. */
  reference?: { y: number; label: string };
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const W = 360, H = 240, M = { top: 28, right: 12, bottom: 70, left: 52 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A line chart as a standalone SVG string, drawn in Node (d3 scales and path generator, no DOM). */
export function lineChart(c: ChartSpec): string {
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...c.series.flatMap((s) => s.points.map((p) => p[1])), ...(c.reference ? [c.reference.y] : []), ...(c.yFrom != null ? [c.yFrom] : [])]
    .filter(Number.isFinite);
  const x = scaleLinear().domain([Math.min(0, ...xs), Math.max(1, ...xs)]).range([M.left, W - M.right]);
  const y = scaleLinear().domain(ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1]).nice().range([H - M.bottom, M.top]);
  const path = line<[number, number]>().defined((p) => Number.isFinite(p[1])).x((p) => x(p[0])).y((p) => y(p[1]));
  const xTicks = x.ticks(5).map((t) => `<g transform="translate(${x(t)},${H - M.bottom})"><line y2="4" stroke="#333"/><text y="15" text-anchor="middle">${t}</text></g>`);
  const yTicks = y.ticks(5).map((t) => `<g transform="translate(${M.left},${y(t)})"><line x2="-4" stroke="#333"/><line x2="${W - M.left - M.right}" stroke="#eee"/><text x="-6" dy="0.32em" text-anchor="end">${y.tickFormat(5)(t)}</text></g>`);
  const lines = c.series.map((s, i) => `<path d="${path(s.points) ?? ''}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.8"><title>${esc(s.label)}</title></path>`);
  const ref = c.reference
    ? `<line x1="${M.left}" x2="${W - M.right}" y1="${y(c.reference.y)}" y2="${y(c.reference.y)}" stroke="#555" stroke-dasharray="4 3"/>` +
      `<text x="${W - M.right}" y="${y(c.reference.y) - 4}" text-anchor="end" fill="#555">${esc(c.reference.label)}</text>`
    : '';
  const legend = c.series.map((s, i) => `<g transform="translate(${M.left + (i % 2) * 160},${H - M.bottom + 42 + Math.floor(i / 2) * 12})">` +
    `<line x2="14" y1="-4" y2="-4" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/><text x="18">${esc(s.label.slice(0, 26))}</text></g>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="10" role="img" aria-label="${esc(c.title)}">` +
    `<text x="${M.left}" y="16" font-size="12" font-weight="bold">${esc(c.title)}</text>${yTicks.join('')}${xTicks.join('')}` +
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>` +
    `<text x="${(M.left + W - M.right) / 2}" y="${H - M.bottom + 27}" text-anchor="middle" fill="#333">${esc(c.xLabel)}</text>${ref}${lines.join('')}${legend.join('')}</svg>`;
}
