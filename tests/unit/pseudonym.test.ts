import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Pseudonyms } from '../../functions/lib/pseudonym';
import { getOrCreatePseudonymKey, Store } from '../../functions/lib/store';
import { conditionalCheckFailed, dynamoMock, receivedInputs, resetAwsMocks, serviceError } from './support/aws-mocks';
import { PSEUDONYM_SECRET } from './support/events';
import { NOW_MS, TABLE, testClients } from './support/parts';

const KEY_ITEM = { Key: { pk: 'SYSTEM', sk: 'PSEUDONYM_KEY' } };
const WINNER_SECRET = Buffer.alloc(32, 9).toString('base64');
const store = new Store(testClients(), TABLE);
const readOrCreateKey = () => getOrCreatePseudonymKey(store, NOW_MS);
/** A function container's pseudonyms: each handler makes one, with the table's key read once. */
let pseudonyms: Pseudonyms;
const pseudoSub = (userName: string) => pseudonyms.sub(userName);

beforeEach(() => {
  pseudonyms = new Pseudonyms(store, { now: () => NOW_MS });
  resetAwsMocks();
  dynamoMock.on(PutCommand).resolves({});
});

describe('the pseudonym key', () => {
  test('is read from the table when it exists', async () => {
    dynamoMock.on(GetCommand, KEY_ITEM).resolves({ Item: { secret: PSEUDONYM_SECRET } });
    expect((await readOrCreateKey()).toString('base64')).toBe(PSEUDONYM_SECRET);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  test('is made once, 32 random bytes, when there is none', async () => {
    dynamoMock.on(GetCommand, KEY_ITEM).resolves({});
    const key = await readOrCreateKey();
    expect(key).toHaveLength(32);
    expect(receivedInputs(dynamoMock, PutCommand)).toEqual([
      expect.objectContaining({
        Item: { pk: 'SYSTEM', sk: 'PSEUDONYM_KEY', secret: key.toString('base64'), createdAt: new Date(NOW_MS).toISOString() },
      }),
    ]);
  });

  test('is the one a concurrent cold start wrote first', async () => {
    dynamoMock
      .on(GetCommand, KEY_ITEM)
      .resolvesOnce({})
      .resolves({ Item: { secret: WINNER_SECRET } });
    dynamoMock.on(PutCommand).rejects(conditionalCheckFailed());
    expect((await readOrCreateKey()).toString('base64')).toBe(WINNER_SECRET);
  });

  test('is never made up when the conflicting key cannot be read back', async () => {
    dynamoMock.on(GetCommand, KEY_ITEM).resolves({});
    dynamoMock.on(PutCommand).rejects(conditionalCheckFailed());
    await expect(readOrCreateKey()).rejects.toThrow('the pseudonym key vanished');
  });
});

describe('pseudo-identities', () => {
  test('read the key once per handler (that is, per container), and again after a failed read', async () => {
    dynamoMock
      .on(GetCommand, KEY_ITEM)
      .rejectsOnce(serviceError('ThrottlingException'))
      .resolves({ Item: { secret: PSEUDONYM_SECRET } });
    await expect(pseudoSub('nobody@example.com')).rejects.toMatchObject({ name: 'ThrottlingException' });
    await pseudoSub('nobody@example.com');
    await pseudoSub('somebody@example.com');
    expect(dynamoMock.commandCalls(GetCommand)).toHaveLength(2);
  });

  test('are version-4 UUIDs, the same for an email in any case, different for another email', async () => {
    dynamoMock.on(GetCommand, KEY_ITEM).resolves({ Item: { secret: PSEUDONYM_SECRET } });
    const first = await pseudoSub('nobody@example.com');
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await pseudoSub(' NOBODY@example.com')).toBe(first);
    expect(await pseudoSub('somebody@example.com')).not.toBe(first);
  });
});
