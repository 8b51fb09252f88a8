import { referencedLogicalIds } from '../../local/template/intrinsics';
import {
  asList,
  asMap,
  deployedEnvironment,
  FUNCTION_IDS,
  globalVariables,
  propertiesOf,
  resolved,
  resource,
  template,
} from './stack';

const bucket = propertiesOf('FaceBucket');
const table = propertiesOf('FaceLoginTable');
const { BUCKET_NAME, COLLECTION_ID } = deployedEnvironment();

describe('the face bucket', () => {
  test('is named exactly as the functions know it from BUCKET_NAME', () => {
    expect(resolved(bucket.BucketName)).toBe(BUCKET_NAME);
    expect(BUCKET_NAME).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
  });

  test('is not referenced by the functions, whose S3 notification it depends on (no dependency cycle)', () => {
    const { Events, ...functionProperties } = propertiesOf('IndexFaceFunction');
    const dependencies = [globalVariables, functionProperties, ...FUNCTION_IDS.filter((id) => id !== 'IndexFaceFunction').map(propertiesOf)]
      .flatMap((value) => [...referencedLogicalIds(value)]);
    expect(dependencies).not.toContain('FaceBucket');
    expect(Events).toBeDefined();
  });

  test('blocks every kind of public access', () => {
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  test('encrypts every object at rest', () => {
    const [rule, ...others] = asList(asMap(bucket.BucketEncryption).ServerSideEncryptionConfiguration).map(asMap);
    expect(others).toEqual([]);
    expect(['AES256', 'aws:kms']).toContain(asMap(rule!.ServerSideEncryptionByDefault).SSEAlgorithm);
  });

  test('owns every object itself, with ACLs disabled', () => {
    expect(asMap(bucket.OwnershipControls).Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
  });

  test('refuses every request that is not made over TLS', () => {
    const policy = propertiesOf('FaceBucketPolicy');
    expect(policy.Bucket).toEqual({ Ref: 'FaceBucket' });
    const statements = asList(asMap(policy.PolicyDocument).Statement).map(asMap);
    const denyInsecure = statements.find((statement) => JSON.stringify(statement.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }));
    expect(denyInsecure).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 's3:*' });
    expect(asList(resolved(denyInsecure!.Resource)).sort()).toEqual([`arn:aws:s3:::${BUCKET_NAME}`, `arn:aws:s3:::${BUCKET_NAME}/*`]);
  });

  test('accepts cross-origin requests only as POST uploads from the AllowedOrigins parameter', () => {
    const rules = asList(asMap(bucket.CorsConfiguration).CorsRules).map(asMap);
    expect(rules).toHaveLength(1);
    expect(rules[0]!.AllowedOrigins).toEqual({ Ref: 'AllowedOrigins' });
    expect(rules[0]!.AllowedMethods).toEqual(['POST']);
    expect(template.Parameters?.AllowedOrigins?.Type).toBe('CommaDelimitedList');
    expect(resolved(rules[0]!.AllowedOrigins, { AllowedOrigins: ['https://app.example.com', 'https://admin.example.com'] }))
      .toEqual(['https://app.example.com', 'https://admin.example.com']);
  });

  test('deletes liveness images after LivenessImageRetentionDays', () => {
    const rules = asList(asMap(bucket.LifecycleConfiguration).Rules).map(asMap);
    expect(rules.filter((rule) => rule.Prefix === 'liveness/')).toEqual([
      expect.objectContaining({ Status: 'Enabled', ExpirationInDays: { Ref: 'LivenessImageRetentionDays' } }),
    ]);
  });

  test('aborts multipart uploads left incomplete', () => {
    const rules = asList(asMap(bucket.LifecycleConfiguration).Rules).map(asMap);
    const abort = rules.find((rule) => rule.AbortIncompleteMultipartUpload !== undefined);
    expect(abort).toMatchObject({ Status: 'Enabled' });
    expect(abort!.Prefix).toBeUndefined();
  });

  test('invokes the indexer, and only the indexer, for every object created under enrollment/', () => {
    const listeners = FUNCTION_IDS.flatMap((id) =>
      Object.values(asMap(propertiesOf(id).Events ?? {})).map((event) => [id, asMap(event)] as const),
    );
    expect(listeners).toEqual([
      [
        'IndexFaceFunction',
        {
          Type: 'S3',
          Properties: {
            Bucket: { Ref: 'FaceBucket' },
            Events: 's3:ObjectCreated:*',
            Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'enrollment/' }] } },
          },
        },
      ],
    ]);
  });
});

describe('the face collection', () => {
  test("is created by InitCollectionFunction with the functions' COLLECTION_ID and the retain choice", () => {
    expect(resource('FaceCollection').Type).toBe('Custom::RekognitionCollection');
    const collection = propertiesOf('FaceCollection');
    expect(collection.ServiceToken).toEqual({ 'Fn::GetAtt': ['InitCollectionFunction', 'Arn'] });
    expect(resolved(collection.CollectionId)).toBe(COLLECTION_ID);
    expect(collection.RetainOnDelete).toEqual({ Ref: 'RetainCollectionOnDelete' });
    expect(template.Parameters?.RetainCollectionOnDelete?.AllowedValues).toEqual(['true', 'false']);
  });
});

describe('the table', () => {
  test('is billed on demand, keyed by pk (hash) and sk (range) strings', () => {
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
  });

  test('keeps point-in-time recovery on', () => {
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  test('expires items by their expiresAt attribute', () => {
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  test('is encrypted at rest', () => {
    expect(table.SSESpecification).toEqual({ SSEEnabled: true });
  });

  test('is the table the functions know as TABLE_NAME', () => {
    expect(globalVariables.TABLE_NAME).toEqual({ Ref: 'FaceLoginTable' });
  });
});
