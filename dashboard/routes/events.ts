import type { Express } from 'express';
import { HttpError, one, type RouteContext } from '../http.ts';

const VERSION = /^(none|\d{1,12}:\d{1,15}:\d{1,15})$/;

/** Live updates: a page learns of new results by a server-sent event and reloads itself. */
export function eventRoutes(app: Express, ctx: RouteContext): void {
  const { version } = ctx;
  app.get('/events', (req, res) => {
    const since = one(req.query.since, 'since');
    // A version is the store's counters (or `none` before the database exists); nothing else is echoed back.
    if (since != null && !VERSION.test(since)) throw new HttpError(400, 'since must be a version this dashboard gave, e.g. 12:1733000000000:345');
    let last = since ?? version();
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    const tick = () => {
      try {
        const v = version();
        if (v !== last) {
          last = v;
          res.write(`event: change\ndata: ${JSON.stringify(v)}\n\n`);
        } else res.write(': ping\n\n');
      } catch {
        // The database cannot be read now (damaged, being replaced): the page reloads and says so.
        clearInterval(timer);
        res.end('event: change\ndata: "unreadable"\n\n');
      }
    };
    const timer = setInterval(tick, ctx.pollMs);
    req.on('close', () => clearInterval(timer));
  });
}
