import fs from 'node:fs';
import http, { type Server } from 'node:http';
import { SqliteStore } from '../runner/store/sqlite-store.ts';
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
  let store: SqliteStore | null = null;
  const open = () => {
    if (store || !fs.existsSync(opts.db)) return;
    new SqliteStore(opts.db).close(); // apply pending migrations once
    store = new SqliteStore(opts.db, { readonly: true });
  };
  open();
  let app = createApp({ store, dbPath: opts.db });
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject); // EADDRINUSE and the like: the CLI says what to do
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('request', (req, res) => {
    if (!store) {
      open();
      if (store) app = createApp({ store, dbPath: opts.db });
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
