/** The listener every local AWS emulator answers on. */
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { startListener } from '../../../local/aws/listener';

it("keeps an idle keep-alive connection open past Node's 5 s default, so a call after a pause reuses it", async () => {
  const listener = await startListener((_, res) => res.end('ok'), { host: '127.0.0.1', port: 0 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<Socket>((resolve, reject) => {
      const req = request(`${listener.endpoint}/`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(req.socket as Socket));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    const first = await get();
    let closed = false;
    first.once('close', () => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(closed).toBe(false);
    expect(await get()).toBe(first);
  } finally {
    agent.destroy();
    await listener.close();
  }
}, 15_000);
