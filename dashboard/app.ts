import { zStdReference } from '../core/eval/z-reference.ts';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';
import { renderTables, TABLE_FORMATS, type TableFormat } from '../results/render-table.ts';
import { RUN_STATUSES } from '../runner/store/schema.ts';
import { RunNotFoundError, type RunStatus, type RunStore } from '../runner/store/run-store.ts';
import { buildTable, tablesByPreset } from '../results/tables.ts';
import { buildReport, commonestPreset, reportTables } from '../results/report/build.ts';
import { REPORT_FORMATS, renderReport, reportBodyHtml, type ReportFormat } from '../results/report/render.ts';
import { createRenderer } from './render.ts';
import {
  configDiff, experimentsView, filterRuns, groupRuns, PAGE_SIZE, runRow, runView, sortRuns, SORT_KEYS, tableView,
  type GridQuery, type SortKey,
} from './view-models.ts';

/** A request the dashboard refuses: shown as a page with its status, never a stack trace. */
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface DashboardOptions {
  /** The store, or null when the database does not exist yet. */
  store: RunStore | null;
  dbPath: string;
  /** How often live pages check for new results. */
  pollMs?: number;
}

const require = createRequire(import.meta.url);

function one(q: unknown, name: string): string | null {
  if (q == null || q === '') return null;
  if (typeof q !== 'string') throw new HttpError(400, `query parameter ${name} must be given once`);
  return q;
}

function parseGridQuery(q: Request['query']): GridQuery {
  const status = one(q.status, 'status');
  if (status && !RUN_STATUSES.includes(status as RunStatus)) throw new HttpError(400, `status must be one of ${RUN_STATUSES.join(', ')}`);
  const sort = one(q.sort, 'sort') ?? 'id';
  if (!SORT_KEYS.includes(sort as SortKey)) throw new HttpError(400, `sort must be one of ${SORT_KEYS.join(', ')}`);
  const page = Number(one(q.page, 'page') ?? '1');
  if (!Number.isInteger(page) || page < 1) throw new HttpError(400, 'page must be a positive integer');
  const seedRaw = one(q.seed, 'seed');
  const seed = seedRaw == null ? null : Number(seedRaw);
  if (seed != null && !Number.isInteger(seed)) throw new HttpError(400, 'seed must be an integer');
  const axes: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) {
    if (k.startsWith('axis.')) {
      const val = one(v, k);
      if (val != null) axes[k.slice(5)] = val;
    }
  }
  const dir = one(q.dir, 'dir');
  if (dir && dir !== 'asc' && dir !== 'desc') throw new HttpError(400, 'dir must be asc or desc');
  return { status: status ? [status as RunStatus] : [], row: one(q.row, 'row'), seed, axes, sort: sort as SortKey, desc: dir === 'desc', page, group: one(q.group, 'group') };
}

/** The dashboard as an Express app over a read-only store; server.ts only listens. */
export function createApp(opts: DashboardOptions): express.Express {
  const app = express();
  const render = createRenderer();
  const { store } = opts;
  const version = () => store?.dataVersion() ?? 'none';
  const page = (res: Response, view: string, title: string, data: Record<string, unknown>, status = 200) =>
    res.status(status).type('html').send(render(view, { ...data, title, version: version() }));
  const requireStore = (): RunStore => {
    if (store) return store;
    throw new HttpError(404, 'no database');
  };

  app.disable('x-powered-by');
  app.use('/static/uplot', express.static(path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js')), { fallthrough: false }));
  app.use('/static', express.static(new URL('./static', import.meta.url).pathname, { fallthrough: false }));

  app.get('/', (_req, res) => {
    if (!store || store.listExperiments().length === 0) {
      return page(res, 'message', 'No results yet', {
        heading: 'No results yet',
        message: store ? `${opts.dbPath} holds no experiments.` : `${opts.dbPath} does not exist.`,
        hint: 'Run an experiment to create results; this page updates when they arrive.',
        command: `npx simsiam run stopgrad --db ${opts.dbPath}`,
      });
    }
    // Badges show the report's verdicts: every preset's findings decided together, as `simsiam report` does.
    const byPreset = [...new Set(store.findRuns().map((r) => r.preset))].map((p) => ({ preset: p, tables: reportTables(store!, p) }));
    const verdicts = (name: string) => byPreset.map(({ preset, tables }) => ({ preset, findings: tables.find((t) => t.experiment === name)?.findings ?? [] }));
    page(res, 'experiments', 'Experiments', { experiments: experimentsView(store.experimentSummaries(), verdicts) });
  });

  app.get('/experiments/:name', (req, res) => {
    const s = requireStore();
    const exp = s.getExperiment(req.params.name);
    if (!exp) throw new HttpError(404, `no experiment named ${req.params.name}`);
    const q = parseGridQuery(req.query);
    const all = s.runSummaries(exp.name);
    const axisPaths = [...new Set(all.flatMap((r) => Object.keys(r.axes)))];
    if (q.group && q.group !== 'row' && !axisPaths.includes(q.group)) throw new HttpError(400, `group must be row or one of the axes (${axisPaths.join(', ') || 'none'})`);
    const matching = sortRuns(filterRuns(all, q), q.sort, q.desc);
    const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
    if (q.page > pages) throw new HttpError(400, `page ${q.page} is past the last page (${pages})`);
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string' && v !== '' && k !== 'page') base[k] = v;
    const distinct = (xs: string[], selected: string | null) => [...new Set(xs)].map((value) => ({ value, selected: value === selected }));
    const col = (label: string, sort?: SortKey) => {
      const { sort: _s, dir: _d, ...rest } = base;
      const dir = q.sort === sort && !q.desc ? 'desc' : 'asc';
      return { label, href: sort ? `?${new URLSearchParams({ ...rest, sort, dir })}` : null, arrow: q.sort === sort ? (q.desc ? ' ▼' : ' ▲') : '' };
    };
    page(res, 'experiment', exp.name, {
      experiment: exp, total: all.length, matching: matching.length, base,
      statuses: RUN_STATUSES.map((value) => ({ value, selected: q.status.includes(value) })),
      rows: distinct(all.map((r) => r.rowLabel), q.row),
      seeds: distinct(all.map((r) => String(r.seed)), q.seed == null ? null : String(q.seed)),
      axes: axisPaths.map((p) => ({ path: p, values: distinct(all.map((r) => JSON.stringify(r.axes[p])), q.axes[p] ?? null) })),
      groupings: ['row', ...axisPaths].map((value) => ({ value, selected: value === q.group })),
      group: q.group, groups: q.group ? groupRuns(matching, q.group) : null,
      columns: [col('id', 'id'), col('row', 'row'), ...axisPaths.map((p) => col(p)), col('seed', 'seed'), col('status', 'status'),
        col('final loss', 'loss'), col('z_std / 1/√d', 'z_std'), col('kNN', 'knn_acc'), col('linear', 'linear_acc'), col('duration', 'duration')],
      runs: matching.slice((q.page - 1) * PAGE_SIZE, q.page * PAGE_SIZE).map(runRow),
      page: q.page, pages, prev: q.page > 1 ? q.page - 1 : null, next: q.page < pages ? q.page + 1 : null,
    });
  });

  const runId = (raw: string) => {
    if (!/^\d{1,12}$/.test(raw)) throw new HttpError(400, `run id must be a number, got ${raw}`);
    return Number(raw);
  };

  app.get('/runs/:id', (req, res) => {
    const run = requireStore().getRun(runId(req.params.id));
    page(res, 'run', `Run ${run.id}`, { run: runView(run) });
  });

  app.get('/api/runs/:id/metrics', (req, res) => {
    const s = requireStore();
    const id = runId(req.params.id);
    s.getRun(id);
    const out: Record<string, [number, number | null][]> = {};
    for (const m of s.metrics(id)) (out[m.name] ??= []).push([m.epoch, Number.isFinite(m.value) ? m.value : null]);
    res.json(out);
  });

  app.get('/compare', (req, res) => {
    const s = requireStore();
    const raw = one(req.query.ids, 'ids');
    if (!raw) throw new HttpError(400, 'ids must list the runs to compare, e.g. ?ids=1,2');
    const ids = raw.split(',').map(runId);
    if (ids.length < 2 || ids.length > 12) throw new HttpError(400, 'compare 2 to 12 runs');
    const runs = ids.map((id) => s.getRun(id));
    const diff = configDiff(runs.map((r) => ({ ...(r.config as object), experiment: r.experiment, row: r.rowLabel })));
    const labels = runs.map((r, i) => `${r.id}: ${diff[i].join(' ') || 'same configuration'}`);
    const dims = new Set(runs.map((r) => (r.config as { projector: { dim: number } }).projector.dim));
    page(res, 'compare', 'Compare', {
      runs: runs.map((r, i) => ({ id: r.id, experiment: r.experiment, label: diff[i].join(' ') || 'same configuration' })),
      ids: ids.join(','), labels, zRef: dims.size === 1 ? zStdReference([...dims][0]) : '',
    });
  });

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

  // Live updates: the page learns of new results by a server-sent event and reloads itself.
  app.get('/events', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    let last = typeof req.query.since === 'string' ? req.query.since : version();
    const tick = () => {
      const v = version();
      if (v !== last) {
        last = v;
        res.write(`event: change\ndata: ${JSON.stringify(v)}\n\n`);
      } else res.write(': ping\n\n');
    };
    const timer = setInterval(tick, opts.pollMs ?? 2000);
    req.on('close', () => clearInterval(timer));
  });

  app.use((_req, _res, next) => next(new HttpError(404, 'no such page')));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = err instanceof HttpError ? err.status : err instanceof RunNotFoundError ? 404 : (err as { status?: number }).status === 404 ? 404 : 500;
    const message = err instanceof HttpError || err instanceof RunNotFoundError ? err.message : status === 404 ? 'not found' : 'internal error';
    if (status === 500) process.stderr.write(`dashboard: ${(err as Error)?.stack ?? err}\n`);
    page(res, 'message', `${status}`, { heading: status === 404 ? 'Not found' : status === 400 ? 'Bad request' : 'Error', message }, status);
  });
  return app;
}
