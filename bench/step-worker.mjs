// Child process entry for one timed training step of `simsiam bench --compare`'s sweep: registers the TypeScript loader, then runs it.
import { register } from 'tsx/esm/api';

register();
await import('./step-worker.ts');
