import express, { type NextFunction, type Request, type Response } from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';
import { RunNotFoundError, type RunStore } from '../runner/store/run-store.ts';
import { describeUserError } from '../runner/user-error.ts';
import { HttpError, type RouteContext } from './http.ts';
import { createRenderer } from './render.ts';
import { eventRoutes } from './routes/events.ts';
import { experimentRoutes } from './routes/experiments.ts';
import { resultRoutes } from './routes/results.ts';
import { runRoutes } from './routes/runs.ts';

export interface DashboardOptions {
  /** The store, or null when the database does not exist yet. */
  store: RunStore | null;
  dbPath: string;
  /** How often live pages check for new results. */
  pollMs?: number;
  /** The data version live pages compare (default: the store's); the server's also sees a database that appears later. */
  version?: () => string;
}

const require = createRequire(import.meta.url);

/** The dashboard as an Express app over a read-only store; server.ts only listens. Its routes are in routes/. */
export function createApp(opts: DashboardOptions): express.Express {
  const app = express();
  const render = createRenderer();
  const { store } = opts;
  const version = opts.version ?? (() => store?.dataVersion() ?? 'none');
  // A page (an error page above all) renders even when the database cannot be read.
  const safeVersion = () => {
    try {
      return version();
    } catch {
      return 'none';
    }
  };
  const ctx: RouteContext = {
    store, dbPath: opts.dbPath, pollMs: opts.pollMs ?? 2000, version,
    page: (res, view, title, data, status = 200) => res.status(status).type('html').send(render(view, { ...data, title, version: safeVersion() })),
    requireStore: (): RunStore => {
      if (store) return store;
      throw new HttpError(404, 'no database');
    },
  };
  const { page } = ctx;
  app.disable('x-powered-by');
  app.use('/static/uplot', express.static(path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js')), { fallthrough: false }));
  app.use('/static', express.static(new URL('./static', import.meta.url).pathname, { fallthrough: false }));
  for (const routes of [experimentRoutes, runRoutes, resultRoutes, eventRoutes]) routes(app, ctx);
  app.use((_req, _res, next) => next(new HttpError(404, 'no such page')));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = err instanceof HttpError ? err.status : err instanceof RunNotFoundError ? 404 : (err as { status?: number }).status === 404 ? 404 : 500;
    // A database that cannot be read (damaged, locked, not a database) is said so, with what to do.
    const user = status === 500 ? describeUserError(err) : null;
    const message = err instanceof HttpError || err instanceof RunNotFoundError ? err.message : user ?? (status === 404 ? 'not found' : 'internal error');
    if (status === 500 && !user) process.stderr.write(`dashboard: ${(err as Error)?.stack ?? err}\n`);
    page(res, 'message', `${status}`, { heading: status === 404 ? 'Not found' : status === 400 ? 'Bad request' : 'Error', message }, status);
  });
  return app;
}
