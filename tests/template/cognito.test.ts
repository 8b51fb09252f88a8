import { allowedActions, asList, asMap, propertiesOf, resource, statementsOf, template, type TemplateMap } from './stack';

const TRIGGER_FUNCTIONS = {
  PreSignUp: 'PreSignUpFunction',
  DefineAuthChallenge: 'DefineAuthChallengeFunction',
  CreateAuthChallenge: 'CreateAuthChallengeFunction',
  VerifyAuthChallengeResponse: 'VerifyAuthChallengeFunction',
};

const userPool = propertiesOf('UserPool');
const client = propertiesOf('UserPoolClient');

function permissionsFor(functionId: string): TemplateMap[] {
  return Object.values(template.Resources)
    .filter(({ Type }) => Type === 'AWS::Lambda::Permission')
    .map(({ Properties }) => asMap(Properties))
    .filter(({ FunctionName }) => JSON.stringify(FunctionName) === JSON.stringify({ 'Fn::GetAtt': [functionId, 'Arn'] }));
}

/** The trust policy conditions of an identity pool role. */
function trustOf(roleId: string): TemplateMap {
  const [statement, ...others] = asList(asMap(propertiesOf(roleId).AssumeRolePolicyDocument).Statement).map(asMap);
  expect(others).toEqual([]);
  return statement!;
}

describe('the user pool', () => {
  test('its triggers invoke exactly the pre-sign-up and the three custom-auth trigger functions', () => {
    const wired = Object.fromEntries(
      Object.entries(asMap(userPool.LambdaConfig)).map(([trigger, target]) => [trigger, asMap(target)['Fn::GetAtt']]),
    );
    expect(wired).toEqual(Object.fromEntries(Object.entries(TRIGGER_FUNCTIONS).map(([trigger, id]) => [trigger, [id, 'Arn']])));
  });

  test.each(Object.values(TRIGGER_FUNCTIONS))('%s may be invoked by this user pool and nothing else', (functionId) => {
    expect(permissionsFor(functionId)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
        Principal: 'cognito-idp.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { 'Fn::GetAtt': ['UserPool', 'Arn'] },
      },
    ]);
  });

  test('users sign up with their email address as username, confirmed by a code sent to it', () => {
    expect(userPool.UsernameAttributes).toEqual(['email']);
    expect(userPool.AutoVerifiedAttributes).toEqual(['email']);
    expect(asMap(userPool.VerificationMessageTemplate).DefaultEmailOption).toBe('CONFIRM_WITH_CODE');
    expect(asMap(userPool.UserAttributeUpdateSettings).AttributesRequireVerificationBeforeUpdate).toEqual(['email']);
  });

  test('the password policy stays strong although users never see their password', () => {
    const policy = asMap(asMap(userPool.Policies).PasswordPolicy);
    expect(Number(policy.MinimumLength)).toBeGreaterThanOrEqual(12);
    expect(policy).toMatchObject({ RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true });
  });
});

describe('the app client', () => {
  test('allows only custom authentication and refresh tokens', () => {
    expect(client.ExplicitAuthFlows).toEqual(['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  });

  test('has no secret, as a browser app cannot keep one', () => {
    expect(client.GenerateSecret).toBe(false);
  });

  test('answers alike whether or not a user exists', () => {
    expect(client.PreventUserExistenceErrors).toBe('ENABLED');
  });

  test('keeps a sign-in open long enough for the ID-photo upload and a liveness check', () => {
    const sessionSeconds = Number(client.AuthSessionValidity) * 60;
    expect(sessionSeconds).toBe(15 * 60);
    for (const limit of ['UploadUrlTtlSeconds', 'LivenessSessionTtlSeconds']) {
      expect(Number(template.Parameters?.[limit]?.MaxValue)).toBeLessThanOrEqual(sessionSeconds);
    }
  });

  test('lets signed-out refresh tokens be revoked', () => {
    expect(client.EnableTokenRevocation).toBe(true);
  });
});

describe('the identity pool', () => {
  test("gives guest identities, signed in through the user pool's app client", () => {
    const pool = propertiesOf('IdentityPool');
    expect(pool.AllowUnauthenticatedIdentities).toBe(true);
    expect(pool.AllowClassicFlow).toBe(false);
    expect(asList(pool.CognitoIdentityProviders)).toEqual([
      { ClientId: { Ref: 'UserPoolClient' }, ProviderName: { 'Fn::GetAtt': ['UserPool', 'ProviderName'] }, ServerSideTokenCheck: true },
    ]);
  });

  test('gives guests IdentityPoolGuestRole and signed-in users IdentityPoolAuthenticatedRole', () => {
    const attachment = propertiesOf('IdentityPoolRoles');
    expect(resource('IdentityPoolRoles').Type).toBe('AWS::Cognito::IdentityPoolRoleAttachment');
    expect(attachment.IdentityPoolId).toEqual({ Ref: 'IdentityPool' });
    expect(attachment.Roles).toEqual({
      unauthenticated: { 'Fn::GetAtt': ['IdentityPoolGuestRole', 'Arn'] },
      authenticated: { 'Fn::GetAtt': ['IdentityPoolAuthenticatedRole', 'Arn'] },
    });
  });

  test('its guest role may only start a Face Liveness session', () => {
    expect(allowedActions('IdentityPoolGuestRole')).toEqual(['rekognition:StartFaceLivenessSession']);
    expect(statementsOf('IdentityPoolGuestRole').filter((statement) => statement.NotAction !== undefined)).toEqual([]);
    expect(propertiesOf('IdentityPoolGuestRole').ManagedPolicyArns).toBeUndefined();
  });

  test.each([
    ['IdentityPoolGuestRole', 'unauthenticated'],
    ['IdentityPoolAuthenticatedRole', 'authenticated'],
  ])('%s can be assumed only by %s identities of this identity pool', (roleId, amr) => {
    expect(trustOf(roleId)).toEqual({
      Effect: 'Allow',
      Principal: { Federated: 'cognito-identity.amazonaws.com' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: 'IdentityPool' } },
        'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': amr },
      },
    });
  });

  test('signed-in identities get no AWS permissions at all', () => {
    const role = propertiesOf('IdentityPoolAuthenticatedRole');
    expect(role.Policies).toBeUndefined();
    expect(role.ManagedPolicyArns).toBeUndefined();
  });
});

describe('the stack outputs', () => {
  test('name everything the web app and the local stack configure themselves with', () => {
    const outputs = Object.fromEntries(Object.entries(template.Outputs ?? {}).map(([name, { Value }]) => [name, Value]));
    expect(outputs).toEqual({
      Region: { Ref: 'AWS::Region' },
      UserPoolId: { Ref: 'UserPool' },
      UserPoolClientId: { Ref: 'UserPoolClient' },
      IdentityPoolId: { Ref: 'IdentityPool' },
      BucketName: { Ref: 'FaceBucket' },
      CollectionId: { Ref: 'FaceCollection' },
      TableName: { Ref: 'FaceLoginTable' },
      AccountApiUrl: { 'Fn::Sub': 'https://${AccountApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}' },
      FreshSignInMinutes: { Ref: 'FreshSignInMinutes' },
    });
  });
});
