// The entry of the video decoding thread. Plain JavaScript, so that `new Worker(...)` loads it in any host (tsx, jest,
// plain node): it registers tsx's loader in this thread, then runs the TypeScript beside it.
import { register } from 'tsx/esm/api';

register();
await import('./decoding-worker.ts');
