import type { Express } from 'express';
import { zStdReference } from '../../core/eval/z-reference.ts';
import { HttpError, one, runId, type RouteContext } from '../http.ts';
import { configDiff, runView, sourceOf } from '../view-models.ts';

/** One run, its metrics as JSON, and runs compared. */
export function runRoutes(app: Express, ctx: RouteContext): void {
  const { page, requireStore } = ctx;
  app.get('/runs/:id', (req, res) => {
    const run = requireStore().getRun(runId(req.params.id));
    page(res, 'run', `Run ${run.id}`, { run: runView(run, sourceOf(requireStore()), ctx.dbPath) });
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
}
