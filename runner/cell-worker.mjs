// Child process entry for one grid cell: registers the TypeScript loader, then runs the cell.
import { register } from 'tsx/esm/api';

register();
await import('./cell-worker.ts');
