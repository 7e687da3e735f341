#!/usr/bin/env node
// Entry point of the `simsiam` command: registers the TypeScript loader, then runs the CLI.
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

register();
// A user's .ts spec outside this package (no "type": "module" above it) loads as CommonJS.
registerCjs();
const { main } = await import('../cli/main.ts');
await main(process.argv);
