import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's sources (C files and binding.gyp), and where node-gyp puts its build. */
export const ADDON_DIR = fileURLToPath(new URL('./addon/', import.meta.url));
export const ADDON_BINARY = join(ADDON_DIR, 'build', 'Release', 'simsiam_addon.node');
/** Written beside the binary by bin/build-addon.mjs: the sourceHash it was built from. */
export const ADDON_SOURCE_STAMP = join(ADDON_DIR, 'build', 'Release', 'source.sha256');

/** SHA-256 of the addon's sources in name order: a build whose stamp differs is stale. */
export function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(ADDON_DIR).filter((n) => /\.(c|h|gyp)$/.test(n)).sort()) h.update(f).update(readFileSync(join(ADDON_DIR, f)));
  return h.digest('hex');
}
