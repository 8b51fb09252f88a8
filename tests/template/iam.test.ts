import { STACK_TAG } from '../../functions/init-collection/handler';
import { actionsNeededBy } from './function-code';
import {
  actionsOf,
  allIdentityStatements,
  allowedActions,
  asList,
  deployedEnvironment,
  EXAMPLE_STACK,
  FUNCTION_FOLDERS,
  FUNCTION_IDS,
  resolved,
  resource,
  statementsOf,
  type FunctionId,
} from './stack';

/**
 * Actions the Service Authorization Reference lists without a resource type: IAM matches them only against
 * Resource "*". Every other action must name the resources it acts on.
 */
const ACTIONS_WITHOUT_RESOURCE_TYPE = new Set([
  'rekognition:CreateFaceLivenessSession',
  'rekognition:GetFaceLivenessSessionResults',
  'rekognition:StartFaceLivenessSession',
  'rekognition:CompareFaces',
  'rekognition:CreateCollection',
  'textract:AnalyzeID',
]);

const { BUCKET_NAME, COLLECTION_ID } = deployedEnvironment();
const { region, accountId } = EXAMPLE_STACK;
const COLLECTION_ARN = `arn:aws:rekognition:${region}:${accountId}:collection/${COLLECTION_ID}`;
const TABLE_ARN = String(resolved({ 'Fn::GetAtt': ['FaceLoginTable', 'Arn'] }));
const objectsUnder = (prefix: string) => `arn:aws:s3:::${BUCKET_NAME}/${prefix}*`;

/** The resources a function's Allow statements grant `action` on, resolved for the example stack. */
function resourcesFor(id: FunctionId, action: string): string[] {
  return statementsOf(id)
    .filter((statement) => statement.Effect === 'Allow' && actionsOf(statement).includes(action))
    .flatMap((statement) => asList(resolved(statement.Resource)).map(String))
    .sort();
}

describe('IAM', () => {
  test('no statement allows every action, a whole service or a wildcard pattern of actions', () => {
    const allows = allIdentityStatements().filter(({ statement }) => statement.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(10);
    const wildcards = allows.flatMap(({ owner, statement }) =>
      actionsOf(statement)
        .filter((action) => action.includes('*'))
        .map((action) => `${owner}: ${action}`),
    );
    expect(wildcards).toEqual([]);
    expect(allows.filter(({ statement }) => statement.NotAction !== undefined || statement.Action === undefined)).toEqual([]);
  });

  test('Resource "*" is granted only with actions that have no resource type to scope them by', () => {
    const unscoped = allIdentityStatements()
      .filter(({ statement }) => statement.Effect === 'Allow' && asList(statement.Resource).includes('*'))
      .flatMap(({ owner, statement }) =>
        actionsOf(statement)
          .filter((action) => !ACTIONS_WITHOUT_RESOURCE_TYPE.has(action))
          .map((action) => `${owner}: ${action}`),
      );
    expect(unscoped).toEqual([]);
  });

  test('PreSignUpFunction calls no AWS service and is granted no AWS action', async () => {
    expect([...(await actionsNeededBy('functions/pre-sign-up/index.ts'))]).toEqual([]);
    expect(allowedActions('PreSignUpFunction')).toEqual([]);
  });

  test.each(FUNCTION_IDS.filter((id) => id !== 'PreSignUpFunction'))('%s is granted exactly the AWS actions its code calls', async (id) => {
    const needed = await actionsNeededBy(`functions/${FUNCTION_FOLDERS[id]}/index.ts`);
    expect(needed.size).toBeGreaterThan(0);
    expect([...new Set(allowedActions(id))].sort()).toEqual([...needed].sort());
  });

  test("every table action is scoped to this stack's table", () => {
    const tableActions = FUNCTION_IDS.flatMap((id) =>
      allowedActions(id)
        .filter((action) => action.startsWith('dynamodb:'))
        .map((action) => [id, action] as const),
    );
    expect(tableActions.length).toBeGreaterThan(0);
    for (const [id, action] of tableActions) expect(resourcesFor(id, action)).toEqual([TABLE_ARN]);
  });

  test("every collection action is scoped to this stack's face collection", () => {
    const collectionActions = FUNCTION_IDS.flatMap((id) =>
      allowedActions(id)
        .filter((action) => action.startsWith('rekognition:') && !ACTIONS_WITHOUT_RESOURCE_TYPE.has(action))
        .map((action) => [id, action] as const),
    );
    expect(collectionActions.length).toBeGreaterThanOrEqual(7);
    for (const [id, action] of collectionActions) expect(resourcesFor(id, action)).toEqual([COLLECTION_ARN]);
  });

  test('InitCollectionFunction may list only the face bucket and delete only its objects, to empty it', () => {
    expect(resourcesFor('InitCollectionFunction', 's3:ListBucket')).toEqual([`arn:aws:s3:::${BUCKET_NAME}`]);
    expect(resourcesFor('InitCollectionFunction', 's3:DeleteObject')).toEqual([objectsUnder('')]);
  });

  test('InitCollectionFunction may create only collections tagged with its own stack id', () => {
    const [statement, ...others] = statementsOf('InitCollectionFunction').filter((candidate) =>
      actionsOf(candidate).includes('rekognition:CreateCollection'),
    );
    expect(others).toEqual([]);
    expect(actionsOf(statement!)).toEqual(['rekognition:CreateCollection']);
    const stackId = `arn:aws:cloudformation:${region}:${accountId}:stack/${EXAMPLE_STACK.stackName}/00000000-0000-0000-0000-000000000000`;
    expect(resolved(statement!.Condition)).toEqual({ StringEquals: { [`aws:RequestTag/${STACK_TAG}`]: stackId } });
  });

  test.each([
    ['CreateAuthChallengeFunction', 's3:PutObject', ['enrollment/', 'liveness/']],
    ['VerifyAuthChallengeFunction', 's3:GetObject', ['enrollment/', 'id-photos/', 'liveness/']],
    ['VerifyAuthChallengeFunction', 's3:PutObject', ['id-photos/']],
    ['VerifyAuthChallengeFunction', 's3:DeleteObject', ['enrollment/', 'id-photos/']],
    ['IndexFaceFunction', 's3:GetObject', ['enrollment/', 'liveness/']],
    ['IndexFaceFunction', 's3:PutObject', ['id-photos/']],
    ['IndexFaceFunction', 's3:DeleteObject', ['enrollment/', 'id-photos/']],
    ['AccountFunction', 's3:PutObject', ['enrollment/']],
    ['AccountFunction', 's3:DeleteObject', ['enrollment/', 'id-photos/', 'liveness/']],
    ['SweepDeletedUsersFunction', 's3:DeleteObject', ['enrollment/', 'id-photos/', 'liveness/']],
  ] as const)('%s gets %s only on the face bucket objects under %j', (id, action, prefixes) => {
    expect(resourcesFor(id, action)).toEqual(prefixes.map(objectsUnder).sort());
  });

  test.each(['AccountFunction', 'SweepDeletedUsersFunction'] as const)('%s lists only the face bucket and acts only on this pool', (id) => {
    expect(resourcesFor(id, 's3:ListBucket')).toEqual([`arn:aws:s3:::${BUCKET_NAME}`]);
    const poolActions = allowedActions(id).filter((action) => action.startsWith('cognito-idp:'));
    expect(poolActions).toHaveLength(1);
    for (const action of poolActions) expect(resourcesFor(id, action)).toEqual([String(resolved({ 'Fn::GetAtt': ['UserPool', 'Arn'] }))]);
  });

  test('VerifyAuthChallengeFunction may only mark attributes of users of this pool, through a policy outside the function', () => {
    expect(allowedActions('VerifyAuthChallengeFunction').filter((action) => action.startsWith('cognito-idp:'))).toEqual([
      'cognito-idp:AdminUpdateUserAttributes',
    ]);
    expect(resourcesFor('VerifyAuthChallengeFunction', 'cognito-idp:AdminUpdateUserAttributes')).toEqual([
      String(resolved({ 'Fn::GetAtt': ['UserPool', 'Arn'] })),
    ]);
    // In the function's own Policies, the pool's ARN would close a dependency cycle: pool -> function -> role -> pool.
    expect(JSON.stringify(resource('VerifyAuthChallengeFunction').Properties?.Policies)).not.toContain('UserPool');
  });
});
