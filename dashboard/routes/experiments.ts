import type { Express } from 'express';
import { reportTables } from '../../results/report/build.ts';
import { RUN_STATUSES } from '../../runner/store/run-store.ts';
import { HttpError, parseGridQuery, type RouteContext } from '../http.ts';
import { experimentsView, filterRuns, groupRuns, PAGE_SIZE, runRow, sortRuns, sourceOf, type SortKey } from '../view-models.ts';

/** The experiment list with its verdict badges, and one experiment's runs: filtered, sorted, grouped, paged. */
export function experimentRoutes(app: Express, ctx: RouteContext): void {
  const { store, page, requireStore } = ctx;
  app.get('/', (_req, res) => {
    if (!store || store.listExperiments().length === 0) {
      return page(res, 'message', 'No results yet', {
        heading: 'No results yet',
        message: store ? `${ctx.dbPath} holds no experiments.` : `${ctx.dbPath} does not exist.`,
        hint: 'Run an experiment to create results; this page updates when they arrive.',
        command: `npx simsiam run stopgrad --db ${ctx.dbPath}`,
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
      runs: matching.slice((q.page - 1) * PAGE_SIZE, q.page * PAGE_SIZE).map((r) => runRow(r, sourceOf(requireStore()))),
      page: q.page, pages, prev: q.page > 1 ? q.page - 1 : null, next: q.page < pages ? q.page + 1 : null,
    });
  });
}
