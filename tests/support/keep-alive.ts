/** Checks an HTTP server keeps idle keep-alive connections open, as the SDK's agent expects: it reuses them unasked. */
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';

/** GETs `url` (expecting 200) on one keep-alive socket, waits past Node's 5 s default, and GETs it again. */
export async function expectIdleConnectionKept(url: string, idleMs = 6000): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<Socket>((resolve, reject) => {
      const req = request(url, { agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET answered ${res.statusCode}`));
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
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    expect(closed).toBe(false);
    expect(await get()).toBe(first);
  } finally {
    agent.destroy();
  }
}
