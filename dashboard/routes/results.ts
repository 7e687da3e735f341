import type { Express } from 'express';
import { renderTables, TABLE_FORMATS, type TableFormat } from '../../results/render-table.ts';
import { buildReport, commonestPreset, reportTables } from '../../results/report/build.ts';
import { REPORT_FORMATS, renderReport, reportBodyHtml, type ReportFormat } from '../../results/report/render.ts';
import { buildTable, tablesByPreset } from '../../results/tables.ts';
import type { RunStore } from '../../runner/store/run-store.ts';
import { HttpError, one, type RouteContext } from '../http.ts';
import { tableView } from '../view-models.ts';

/** The paper tables and the reproduction report, as pages and downloads, with the report's verdicts. */
export function resultRoutes(app: Express, ctx: RouteContext): void {
  const { store, page, requireStore } = ctx;
  /** Each experiment's tables per preset, with the report's verdicts (one correction per preset, as the report makes). */
  const tablesFor = (s: RunStore, names?: string[]) => {
    const decided = new Map([...new Set(s.findRuns().map((r) => r.preset))].flatMap((p) => reportTables(s, p).map((t) => [`${t.experiment}\u0000${p}`, t] as const)));
    return s.listExperiments()
      .filter((e) => !names || names.includes(e.name))
      .flatMap((e) => tablesByPreset(s, e.spec as Parameters<typeof buildTable>[1]).map((t) => decided.get(`${t.experiment}\u0000${t.preset}`) ?? t));
  };

  /** The report's preset: the query's, which must be one the runs used, else the commonest. */
  const reportPreset = (s: RunStore, q: unknown): { preset: string | null; presets: string[] } => {
    const presets = [...new Set(s.findRuns().map((r) => r.preset))].sort();
    const asked = one(q, 'preset');
    if (asked != null && !presets.includes(asked)) throw new HttpError(400, `preset must be one the runs used: ${presets.join(', ') || 'none yet'}`);
    return { preset: asked ?? commonestPreset(s), presets };
  };

  app.get('/report', (req, res) => {
    if (!store) return page(res, 'report', 'Report', { body: null });
    const { preset, presets } = reportPreset(store, req.query.preset);
    page(res, 'report', 'Report', {
      preset, presets: presets.map((p) => ({ name: p, current: p === preset })),
      body: preset ? reportBodyHtml(buildReport(store, preset)) : null,
    });
  });

  app.get('/report/download', (req, res) => {
    const s = requireStore();
    const { preset } = reportPreset(s, req.query.preset);
    const format = one(req.query.format, 'format') ?? 'html';
    if (!(REPORT_FORMATS as readonly string[]).includes(format)) throw new HttpError(400, `format must be ${REPORT_FORMATS.join(', ')}`);
    if (!preset) throw new HttpError(404, 'no runs yet');
    res.attachment(`simsiam-report-${preset}.${format}`).type(format === 'json' ? 'json' : format === 'html' ? 'html' : 'text/plain')
      .send(renderReport(buildReport(s, preset), format as ReportFormat));
  });

  app.get('/tables', (_req, res) => {
    if (!store) return page(res, 'tables', 'Tables', { tables: [] });
    page(res, 'tables', 'Tables', { tables: tablesFor(store).map(tableView) });
  });

  app.get('/tables/:name', (req, res) => {
    const s = requireStore();
    if (!s.getExperiment(req.params.name)) throw new HttpError(404, `no experiment named ${req.params.name}`);
    const format = one(req.query.format, 'format');
    const tables = tablesFor(s, [req.params.name]);
    if (format == null) return page(res, 'tables', `${req.params.name} table`, { tables: tables.map(tableView) });
    if (!(TABLE_FORMATS as readonly string[]).includes(format) || format === 'html') {
      throw new HttpError(400, `format must be csv, md, latex or json`);
    }
    const ext = { csv: 'csv', md: 'md', latex: 'tex', json: 'json' }[format as Exclude<TableFormat, 'html'>];
    res.attachment(`${req.params.name}.${ext}`).type(format === 'json' ? 'json' : 'text/plain').send(renderTables(tables, format as TableFormat));
  });
}
