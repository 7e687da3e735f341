import type { Express } from 'express';
import type { RouteContext } from '../http.ts';

/** Live updates: a page learns of new results by a server-sent event and reloads itself. */
export function eventRoutes(app: Express, ctx: RouteContext): void {
  const { page, version } = ctx;
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
    const timer = setInterval(tick, ctx.pollMs);
    req.on('close', () => clearInterval(timer));
  });
}
