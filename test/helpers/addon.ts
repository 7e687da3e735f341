import { loadAddon } from '../../core/backends/native-cpu/addon.ts';

/** Null where native-cpu's addon loads here; otherwise why not, with the command that builds it. */
export function addonSkip(): string | null {
  const f = loadAddon();
  return 'why' in f
    ? `native-cpu's addon ${f.why}; build it with \`npm run build:addon\` (a C compiler and Python: \`apt-get install build-essential python3\`)`
    : null;
}
