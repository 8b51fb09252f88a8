// The entry of one face worker thread. Plain JavaScript, so that `new Worker(...)` loads it in any host (tsx, jest,
// plain node): it registers tsx's loader in this thread, then runs the TypeScript worker beside it.
import { register } from 'tsx/esm/api';

register();
await import('./face-worker.ts');
