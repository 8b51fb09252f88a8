import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AdminDeleteUserCommand, AdminGetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { deployedAccountTargets, forgetUser, UnknownUserError } from '../../local/account-targets';
import { cognitoMock, serviceError } from './support/aws-mocks';
import { resetEmptyTargets, targets } from './support/purge-targets';

const cloudFormationMock = mockClient(CloudFormationClient);
const OUTPUTS = { Region: 'eu-west-1', UserPoolId: 'eu-west-1_Ab12Cd34E', TableName: 'table', BucketName: 'bucket', CollectionId: 'faces' };

beforeEach(() => {
  cloudFormationMock.reset();
  resetEmptyTargets();
});

describe('npm run forget --stack: the deployed stack it works on', () => {
  test("takes the table, bucket, collection, pool and region from the stack's outputs", async () => {
    cloudFormationMock.on(DescribeStacksCommand, { StackName: 'face-login' }).resolves({
      Stacks: [
        {
          StackName: 'face-login',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });
    const deployed = await deployedAccountTargets('face-login', 'eu-west-1');
    expect(deployed).toMatchObject({ tableName: 'table', bucketName: 'bucket', collectionId: 'faces', userPoolId: 'eu-west-1_Ab12Cd34E' });
    await expect(deployed.cognito.config.region()).resolves.toBe('eu-west-1');
  });

  test("refuses a stack that lacks this project's outputs, naming them", async () => {
    cloudFormationMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'other',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'Region', OutputValue: 'eu-west-1' }],
        },
      ],
    });
    await expect(deployedAccountTargets('other', undefined)).rejects.toThrow(
      'has no output UserPoolId, TableName, BucketName, CollectionId',
    );
  });
});

describe('npm run forget: one user by email', () => {
  test('purges the user AdminGetUser names by that email, then deletes the user', async () => {
    const sub = '6f1e3b52-8c4d-4e7a-9b10-2d3c4e5f6a7b';
    cognitoMock.on(AdminGetUserCommand).resolves({ Username: sub, UserAttributes: [{ Name: 'sub', Value: sub }] });
    await expect(forgetUser(targets, 'ada@example.com')).resolves.toMatchObject({ sub, user: true });
    expect(cognitoMock.commandCalls(AdminDeleteUserCommand).map((call) => call.args[0].input.Username)).toEqual([sub]);
  });

  test('says so for an address the pool does not have, and deletes nothing', async () => {
    cognitoMock.on(AdminGetUserCommand).rejects(serviceError('UserNotFoundException'));
    await expect(forgetUser(targets, 'nobody@example.com')).rejects.toBeInstanceOf(UnknownUserError);
    expect(cognitoMock.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });
});
