import { AdminDeleteUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { deleteAccount } from '../../functions/lib/account-deletion';
import { cognitoMock, dynamoMock, serviceError } from './support/aws-mocks';
import { USER_POOL_ID } from './support/parts';
import { deletedFaceIds, resetEmptyTargets, targets } from './support/purge-targets';

const USER = { sub: '6f1e3b52-8c4d-4e7a-9b10-2d3c4e5f6a7b', username: '6f1e3b52-8c4d-4e7a-9b10-2d3c4e5f6a7b' };

beforeEach(() => {
  resetEmptyTargets();
  cognitoMock.on(AdminDeleteUserCommand).resolves({});
  dynamoMock.on(QueryCommand).resolves({ Items: [{ pk: `USER#${USER.sub}`, sk: 'ACTIVE_ENROLLMENT', faceId: 'face-a' }] });
});

describe('deleting an account', () => {
  test('deletes the Cognito user after every face, object and item, and reports the counts', async () => {
    const order: string[] = [];
    dynamoMock.on(BatchWriteCommand).callsFake(() => order.push('items') && {});
    cognitoMock.on(AdminDeleteUserCommand).callsFake(() => order.push('user') && {});
    expect(await deleteAccount(targets, USER)).toEqual({ faces: 1, objects: 0, items: 1, user: true });
    expect(deletedFaceIds()).toEqual(['face-a']);
    expect(order).toEqual(['items', 'user']);
    expect(cognitoMock.commandCalls(AdminDeleteUserCommand)[0]?.args[0].input).toEqual({
      UserPoolId: USER_POOL_ID,
      Username: USER.username,
    });
  });

  test('leaves the user in the pool when the purge fails, so the same call can run again', async () => {
    dynamoMock.on(BatchWriteCommand).rejects(serviceError('InternalServerError'));
    await expect(deleteAccount(targets, USER)).rejects.toThrow();
    expect(cognitoMock.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });

  test('finishes a deletion whose user is already gone, and says so', async () => {
    cognitoMock.on(AdminDeleteUserCommand).rejects(serviceError('UserNotFoundException'));
    expect(await deleteAccount(targets, USER)).toMatchObject({ user: false });
  });
});
