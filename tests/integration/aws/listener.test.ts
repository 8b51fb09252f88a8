/** The listener every local AWS emulator answers on. */
import { startListener } from '../../../local/aws/listener';
import { expectIdleConnectionKept } from '../../support/keep-alive';

it("keeps an idle keep-alive connection open past Node's 5 s default, so a call after a pause reuses it", async () => {
  const listener = await startListener((_, res) => res.end('ok'), { host: '127.0.0.1', port: 0 });
  try {
    await expectIdleConnectionKept(`${listener.endpoint}/`);
  } finally {
    await listener.close();
  }
}, 15_000);
