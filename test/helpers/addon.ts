import { loadAddon } from '../../core/backends/native-cpu/addon.ts';

/** Null where native-cpu's addon loads here; otherwise why not, with the command that builds it. */
export function addonSkip(): string | null {
  const f = loadAddon();
  if (!('why' in f)) return null;
  if (process.env.SIMSIAM_ADDON === 'off') return `native-cpu's addon is ${f.why}`;
  return `native-cpu's addon ${f.why}; build it with \`npm run build:addon\` (a C compiler and Python: \`apt-get install build-essential python3\`)`;
}
