import type { Request, Response } from 'express';
import type { RunStatus, RunStore } from '../runner/store/run-store.ts';
import { RUN_STATUSES } from '../runner/store/run-store.ts';
import { SORT_KEYS, type GridQuery, type SortKey } from './view-models.ts';

/** A request the dashboard refuses: shown as a page with its status, never a stack trace. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** What every route needs: the store (null before the database exists), and how to answer with a page. */
export interface RouteContext {
  store: RunStore | null;
  dbPath: string;
  pollMs: number;
  /** The store, or a 404 page when the database does not exist. */
  requireStore(): RunStore;
  /** Changes whenever results are written: live pages compare it. */
  version(): string;
  page(res: Response, view: string, title: string, data: Record<string, unknown>, status?: number): void;
}

/** A query parameter given at most once. */
export function one(q: unknown, name: string): string | null {
  if (q == null || q === '') return null;
  if (typeof q !== 'string') throw new HttpError(400, `query parameter ${name} must be given once`);
  return q;
}

export function parseGridQuery(q: Request['query']): GridQuery {
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

/** A run id from a path: digits only. */
export function runId(raw: string): number {
  if (!/^\d{1,12}$/.test(raw)) throw new HttpError(400, `run id must be a number, got ${raw}`);
  return Number(raw);
}
