import fs from 'node:fs';
import http, { type Server } from 'node:http';
import { openStore } from '../runner/store/open.ts';
import type { RunStore } from '../runner/store/run-store.ts';
import { createApp } from './app.ts';

export interface ServeOptions {
  db: string;
  port: number;
  host: string;
}

/**
 * Serve the dashboard. The database is read through a read-only connection (after
 * bringing its schema up to date); a missing file is shown as a page saying how to
 * create one, and is picked up once it exists.
 */
export async function serveDashboard(opts: ServeOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  let store: RunStore | null = null;
  // The same opening as every read-only command (schema brought up to date; an empty or
  // foreign file refused, never rewritten). A file that cannot be opened yet is tried again.
  const open = () => {
    if (store || !fs.existsSync(opts.db)) return;
    store = openStore(opts.db, { readonly: true });
  };
  open();
  // Live pages follow the database as it is now, also one that appeared after they opened.
  const version = () => {
    try {
      open();
    } catch {
      return 'none';
    }
    return store?.dataVersion() ?? 'none';
  };
  let app = createApp({ store, dbPath: opts.db, version });
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject); // EADDRINUSE and the like: the CLI says what to do
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('request', (req, res) => {
    if (!store) {
      try {
        open();
      } catch {
        // Not a database (yet): the pages say there is none; the next request tries again.
      }
      if (store) app = createApp({ store, dbPath: opts.db, version });
    }
    app(req, res);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    server,
    url: `http://${opts.host}:${port}/`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        store?.close();
        resolve();
      });
    }),
  };
}
