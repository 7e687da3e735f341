#!/usr/bin/env node
// Entry point of the `simsiam` command: registers the TypeScript loader, then runs the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../runner/cli.ts');
await main(process.argv);
