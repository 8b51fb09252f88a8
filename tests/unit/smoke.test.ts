import { strict as assert } from 'node:assert';
test('jest runs ESM TypeScript', async () => {
  const m = await import('node:path');
  assert.equal(typeof m.join, 'function');
});
