import { lambdaEnvironment } from '../../../local/lambda/environment';
import { localUserPool } from '../../../local/template/cognito-settings';
import { LocalDeployment } from '../../../local/template/deployment';
import { resolveIntrinsics, TemplateResolutionError, type IntrinsicContext } from '../../../local/template/intrinsics';
import { loadTemplate, parseTemplate } from '../../../local/template/load-template';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../local/template/local-environment';
import { readStackWiring, TemplateWiringError } from '../../../local/template/wiring';

const OPTIONS = { stackName: 'face-stack', region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID };

function deploy(parameterOverrides?: Record<string, string>): LocalDeployment {
  return new LocalDeployment(readStackWiring(loadTemplate()), { ...OPTIONS, ...(parameterOverrides ? { parameterOverrides } : {}) });
}

describe('the local wiring of template.yaml', () => {
  it('finds the nine functions with their bundle folder, handler export, timeout and memory', () => {
    const { functions } = deploy().wiring;
    expect(Object.keys(functions).sort()).toEqual([
      'AccountFunction',
      'CreateAuthChallengeFunction',
      'DefineAuthChallengeFunction',
      'ExpireEnrollmentsFunction',
      'IndexFaceFunction',
      'InitCollectionFunction',
      'PreSignUpFunction',
      'SweepDeletedUsersFunction',
      'VerifyAuthChallengeFunction',
    ]);
    expect(functions.IndexFaceFunction).toMatchObject({
      bundleFolder: 'index-face',
      handlerExport: 'handler',
      timeoutSeconds: 30,
      memorySizeMb: 512,
    });
    expect(functions.DefineAuthChallengeFunction).toMatchObject({ bundleFolder: 'define-auth-challenge', timeoutSeconds: 5 });
  });

  it("serves the account API's three routes from AccountFunction, each behind the JWT authorizer on the user pool", () => {
    const [api] = deploy().wiring.httpApis;
    expect(api?.logicalId).toBe('AccountApi');
    expect(api?.routes.map(({ routeKey, functionLogicalId, authorizer }) => ({ routeKey, functionLogicalId, authorizer }))).toEqual([
      { routeKey: 'POST /account/id-photo', functionLogicalId: 'AccountFunction', authorizer: 'UserPoolJwt' },
      { routeKey: 'GET /account/id-photo/{uploadId}', functionLogicalId: 'AccountFunction', authorizer: 'UserPoolJwt' },
      { routeKey: 'DELETE /account', functionLogicalId: 'AccountFunction', authorizer: 'UserPoolJwt' },
    ]);
    expect(api?.authorizers.UserPoolJwt).toMatchObject({ audience: [{ Ref: 'UserPoolClient' }] });
  });

  it('maps each Cognito trigger to its function from the user pool LambdaConfig', () => {
    expect(deploy().wiring.userPool?.triggers).toEqual({
      PreSignUp: 'PreSignUpFunction',
      DefineAuthChallenge: 'DefineAuthChallengeFunction',
      CreateAuthChallenge: 'CreateAuthChallengeFunction',
      VerifyAuthChallengeResponse: 'VerifyAuthChallengeFunction',
    });
  });

  it("reads the indexer subscription with its prefix filter from the bucket's NotificationConfiguration", () => {
    expect(deploy().wiring.s3Notifications).toEqual([
      {
        configurationId: 'FaceBucketLambda1',
        functionLogicalId: 'IndexFaceFunction',
        bucketLogicalId: 'FaceBucket',
        events: ['s3:ObjectCreated:*'],
        prefix: 'enrollment/',
        suffix: '',
      },
    ]);
  });

  it('resolves a function environment to the local names of the table, bucket and collection', () => {
    const deployment = deploy();
    const environment = deployment.functionEnvironment('VerifyAuthChallengeFunction');
    expect(environment).toMatchObject({
      TABLE_NAME: 'face-stack-FaceLoginTable',
      BUCKET_NAME: deployment.ref('FaceBucket'),
      COLLECTION_ID: 'face-stack-faces',
      SIMILARITY_THRESHOLD: '90',
      S3_FORCE_PATH_STYLE: 'false',
    });
    expect(deployment.ref('FaceBucket')).toBe(`face-login-${LOCAL_ACCOUNT_ID}-00000000-0000-0000-0000-000000000000`);
  });

  it('applies parameter overrides and refuses values outside AllowedValues, MinValue/MaxValue or undeclared parameters', () => {
    expect(deploy({ SimilarityThreshold: '95' }).functionEnvironment('VerifyAuthChallengeFunction').SIMILARITY_THRESHOLD).toBe('95');
    expect(() => deploy({ DuplicateFacePolicy: 'MAYBE' })).toThrow('not one of its AllowedValues');
    expect(() => deploy({ SimilarityThreshold: '89' })).toThrow('parameter SimilarityThreshold = 89 is outside 90..100');
    expect(() => deploy({ SimilarityThreshold: 'ninety' })).toThrow('is not a Number');
    expect(() => deploy({ NoSuchParameter: '1' })).toThrow('not declared in the template: NoSuchParameter');
  });

  it('gives each container the local endpoints and forces path-style S3 over the template default', () => {
    const deployment = deploy();
    const spec = {
      logicalId: 'IndexFaceFunction',
      functionName: deployment.ref('IndexFaceFunction'),
      functionArn: deployment.getAtt('IndexFaceFunction', 'Arn'),
      bundlePath: '/dist/functions/index-face/index.mjs',
      handlerExport: 'handler',
      timeoutSeconds: 30,
      memorySizeMb: 512,
    };
    const environment = lambdaEnvironment(
      spec,
      LOCAL_REGION,
      {
        s3: 'http://127.0.0.1:4569',
        dynamodb: 'http://127.0.0.1:8000',
        rekognition: 'http://127.0.0.1:4580',
        sesv2: 'http://127.0.0.1:4579',
        textract: 'http://127.0.0.1:4582',
      },
      deployment.functionEnvironment('IndexFaceFunction'),
    );
    expect(environment).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: 'face-stack-IndexFaceFunction',
      AWS_REGION: LOCAL_REGION,
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
      AWS_ENDPOINT_URL_REKOGNITION: 'http://127.0.0.1:4580',
      AWS_ENDPOINT_URL_SESV2: 'http://127.0.0.1:4579',
      AWS_ENDPOINT_URL_TEXTRACT: 'http://127.0.0.1:4582',
      S3_FORCE_PATH_STYLE: 'true',
      TABLE_NAME: 'face-stack-FaceLoginTable',
    });
    expect(environment.PATH).toBeUndefined();
  });

  it('gives the Cognito emulator the app client settings of the template', () => {
    const { settings } = localUserPool(deploy(), ['http://localhost:3000']);
    expect(settings).toMatchObject({
      name: 'face-stack-users',
      clientName: 'face-stack-web',
      authSessionValiditySeconds: 15 * 60,
      accessTokenValiditySeconds: 60 * 60,
      idTokenValiditySeconds: 60 * 60,
      refreshTokenValiditySeconds: 30 * 86400,
      preventUserExistenceErrors: true,
      explicitAuthFlows: ['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      allowedOrigins: ['http://localhost:3000'],
    });
    expect(settings.id).toMatch(new RegExp(`^${LOCAL_REGION}_[A-Za-z0-9]{9}$`));
    expect(settings.clientId).toMatch(/^[a-z0-9]{26}$/);
    expect(localUserPool(deploy(), []).settings.id).toBe(settings.id);
  });

  it('refuses a reference to a resource that has no local stand-in yet', () => {
    expect(() => deploy().ref('FaceCollection')).toThrow(
      'FaceCollection (Custom::RekognitionCollection) has not been created in the local stack',
    );
  });

  it('reads a SAM S3 event of a function as a notification too', () => {
    const template = parseTemplate(`
Resources:
  Uploads:
    Type: AWS::S3::Bucket
  Indexer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/indexer/
      Handler: handler.handler
      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: [s3:ObjectCreated:Post]
            Filter: { S3Key: { Rules: [{ Name: suffix, Value: .jpg }] } }
`);
    expect(readStackWiring(template).s3Notifications).toEqual([
      {
        configurationId: 'IndexerUpload',
        functionLogicalId: 'Indexer',
        bucketLogicalId: 'Uploads',
        events: ['s3:ObjectCreated:Post'],
        prefix: '',
        suffix: '.jpg',
      },
    ]);
  });

  it("refuses a bucket notification whose function is not one of the template's", () => {
    const template = parseTemplate(`
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        LambdaConfigurations:
          - Event: s3:ObjectCreated:*
            Function: !GetAtt Elsewhere.Arn
`);
    expect(() => readStackWiring(template)).toThrow('not functions of this template: Elsewhere');
  });

  it('refuses a trigger that points outside the template', () => {
    const template = parseTemplate(`
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      LambdaConfig:
        DefineAuthChallenge: !GetAtt Elsewhere.Arn
`);
    expect(() => readStackWiring(template)).toThrow(TemplateWiringError);
  });

  it('wires a PreSignUp trigger from the user pool LambdaConfig', () => {
    const template = parseTemplate(`
Resources:
  SignUpFunction:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: functions/pre-sign-up/, Handler: index.handler }
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      LambdaConfig:
        PreSignUp: !GetAtt SignUpFunction.Arn
`);
    expect(readStackWiring(template).userPool?.triggers).toEqual({ PreSignUp: 'SignUpFunction' });
  });
});

describe('the HTTP APIs of a template', () => {
  const FUNCTION = `
  AccountFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/account/
      Handler: index.handler
      Events:`;
  const API = `
  AccountApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: UserPoolJwt
        Authorizers:
          UserPoolJwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: !Sub 'https://cognito-idp.\${AWS::Region}.amazonaws.com/\${UserPool}'
              audience: [!Ref UserPoolClient]
      CorsConfiguration:
        AllowOrigins: !Ref AllowedOrigins
        AllowMethods: [GET, POST, DELETE]`;
  const wire = (resources: string) => readStackWiring(parseTemplate(`Resources:${resources}`));

  it('reads an HttpApi with its JWT authorizer, its CORS and the routes of the function events that name it', () => {
    const [api] = wire(`${API}${FUNCTION}
        ReplaceIdPhoto: { Type: HttpApi, Properties: { ApiId: !Ref AccountApi, Method: post, Path: /account/id-photo } }
        IdPhotoStatus: { Type: HttpApi, Properties: { ApiId: !Ref AccountApi, Method: GET, Path: '/account/id-photo/{uploadId}' } }
`).httpApis;
    expect(api).toEqual({
      logicalId: 'AccountApi',
      authorizers: {
        UserPoolJwt: {
          name: 'UserPoolJwt',
          issuer: { 'Fn::Sub': 'https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}' },
          audience: [{ Ref: 'UserPoolClient' }],
          identitySource: '$request.header.Authorization',
          authorizationScopes: [],
        },
      },
      corsConfiguration: { AllowOrigins: { Ref: 'AllowedOrigins' }, AllowMethods: ['GET', 'POST', 'DELETE'] },
      routes: [
        {
          functionLogicalId: 'AccountFunction',
          eventName: 'ReplaceIdPhoto',
          routeKey: 'POST /account/id-photo',
          authorizer: 'UserPoolJwt',
          authorizationScopes: [],
          timeoutMs: 30000,
        },
        expect.objectContaining({ routeKey: 'GET /account/id-photo/{uploadId}', authorizer: 'UserPoolJwt' }),
      ],
    });
  });

  it('opens a route whose Auth names the authorizer NONE, and takes its own AuthorizationScopes and TimeoutInMillis', () => {
    const [api] = wire(`${API}${FUNCTION}
        Health: { Type: HttpApi, Properties: { ApiId: !Ref AccountApi, Method: GET, Path: /health, Auth: { Authorizer: NONE } } }
        Admin:
          Type: HttpApi
          Properties: { ApiId: !Ref AccountApi, Path: /admin, TimeoutInMillis: 5000, Auth: { AuthorizationScopes: [admin] } }
`).httpApis;
    expect(api!.routes).toEqual([
      { functionLogicalId: 'AccountFunction', eventName: 'Health', routeKey: 'GET /health', authorizationScopes: [], timeoutMs: 30000 },
      {
        functionLogicalId: 'AccountFunction',
        eventName: 'Admin',
        routeKey: 'ANY /admin',
        authorizer: 'UserPoolJwt',
        authorizationScopes: ['admin'],
        timeoutMs: 5000,
      },
    ]);
  });

  it("gives an HttpApi event without ApiId to SAM's implicit ServerlessHttpApi, and one without Path to $default", () => {
    const { httpApis } = wire(`${FUNCTION}
        Everything: { Type: HttpApi }
`);
    expect(httpApis).toEqual([
      {
        logicalId: 'ServerlessHttpApi',
        authorizers: {},
        routes: [
          {
            functionLogicalId: 'AccountFunction',
            eventName: 'Everything',
            routeKey: '$default',
            authorizationScopes: [],
            timeoutMs: 30000,
          },
        ],
      },
    ]);
  });

  it.each([
    ['an ApiId that is not an HttpApi of the template', '{ ApiId: !Ref Elsewhere, Path: /a }', 'which is not an HttpApi of this template'],
    ['an authorizer the API does not have', '{ ApiId: !Ref AccountApi, Path: /a, Auth: { Authorizer: Other } }', 'authorizer "Other"'],
    ['payload format 1.0', '{ ApiId: !Ref AccountApi, Path: /a, PayloadFormatVersion: "1.0" }', 'payload format 2.0 only'],
    [
      'a greedy segment before the last',
      "{ ApiId: !Ref AccountApi, Path: '/{proxy+}/a' }",
      'a segment is {name}, or {name+} as the last one',
    ],
    ['a timeout over 30 s', '{ ApiId: !Ref AccountApi, Path: /a, TimeoutInMillis: 30001 }', 'TimeoutInMillis must be at most 30000'],
  ])('refuses %s', (_case, properties, message) => {
    expect(() =>
      wire(`${API}${FUNCTION}
        Route: { Type: HttpApi, Properties: ${properties} }
`),
    ).toThrow(message);
  });

  it('refuses the same route twice in one API', () => {
    expect(() =>
      wire(`${API}${FUNCTION}
        First: { Type: HttpApi, Properties: { ApiId: !Ref AccountApi, Method: GET, Path: /a } }
        Second: { Type: HttpApi, Properties: { ApiId: !Ref AccountApi, Method: GET, Path: /a } }
`),
    ).toThrow('AccountApi has the route GET /a twice');
  });
});

describe('intrinsic functions', () => {
  const context: IntrinsicContext = {
    parameters: { Origins: ['http://a', 'http://b'], Stage: 'dev' },
    pseudo: { region: 'eu-west-1', accountId: '123456789012', stackName: 'demo' },
    resources: {
      ref: (id) => `${id}-physical`,
      getAtt: (id, attribute) => `${id}.${attribute}-value`,
    },
    conditions: { IsDev: { 'Fn::Equals': [{ Ref: 'Stage' }, 'dev'] } },
  };
  const resolve = (value: Parameters<typeof resolveIntrinsics>[0]) => resolveIntrinsics(value, context);

  it('substitutes pseudo parameters, parameters, resources and attributes in Fn::Sub, keeping ${!Literal}', () => {
    expect(resolve({ 'Fn::Sub': '${AWS::StackName}-${Stage}-${Table}-${Table.Arn}-${!Literal}' })).toBe(
      'demo-dev-Table-physical-Table.Arn-value-${Literal}',
    );
  });

  it('evaluates Fn::Join, Fn::Select and Fn::Split together', () => {
    expect(resolve({ 'Fn::Join': ['-', ['x', { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] }]] })).toBe('x-b');
  });

  it('resolves a list parameter to a list and Fn::If by its condition, dropping AWS::NoValue', () => {
    expect(resolve({ Origins: { Ref: 'Origins' }, Extra: { 'Fn::If': ['IsDev', { Ref: 'AWS::NoValue' }, 'prod'] } })).toEqual({
      Origins: ['http://a', 'http://b'],
    });
  });

  it('refuses an Fn::Select index outside the list', () => {
    expect(() => resolve({ 'Fn::Select': [3, ['a']] })).toThrow(TemplateResolutionError);
  });

  it('refuses intrinsic functions the local stack does not implement', () => {
    expect(() => resolve({ 'Fn::ImportValue': 'shared' })).toThrow('Fn::ImportValue is not supported by the local stack');
  });
});
