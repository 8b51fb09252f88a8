import { referencedLogicalIds } from '../../local/template/intrinsics';
import {
  asList,
  asMap,
  deployedEnvironment,
  globalVariables,
  propertiesOf,
  resolved,
  resource,
  template,
  TEMPLATE_FUNCTION_IDS,
} from './stack';

const bucket = propertiesOf('FaceBucket');
const table = propertiesOf('FaceLoginTable');
const { BUCKET_NAME, COLLECTION_ID } = deployedEnvironment();

describe('the face bucket', () => {
  test('is named exactly as the functions know it from BUCKET_NAME', () => {
    expect(resolved(bucket.BucketName)).toBe(BUCKET_NAME);
    expect(BUCKET_NAME).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
  });

  test('is not referenced by the functions or the invoke permission, which its S3 notification depends on (no cycle)', () => {
    const dependencies = [globalVariables, propertiesOf('IndexFaceInvokePermission'), ...TEMPLATE_FUNCTION_IDS.map(propertiesOf)].flatMap(
      (value) => [...referencedLogicalIds(value)],
    );
    expect(dependencies).not.toContain('FaceBucket');
    expect(referencedLogicalIds(asMap(bucket.NotificationConfiguration))).toContain('IndexFaceFunction');
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
    const denyInsecure = statements.find(
      (statement) => JSON.stringify(statement.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
    );
    expect(denyInsecure).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 's3:*' });
    expect(asList(resolved(denyInsecure!.Resource)).sort()).toEqual([`arn:aws:s3:::${BUCKET_NAME}`, `arn:aws:s3:::${BUCKET_NAME}/*`]);
  });

  test('accepts cross-origin requests only as POST uploads from the AllowedOrigins parameter', () => {
    const rules = asList(asMap(bucket.CorsConfiguration).CorsRules).map(asMap);
    expect(rules).toHaveLength(1);
    expect(rules[0]!.AllowedOrigins).toEqual({ Ref: 'AllowedOrigins' });
    expect(rules[0]!.AllowedMethods).toEqual(['POST']);
    expect(template.Parameters?.AllowedOrigins?.Type).toBe('CommaDelimitedList');
    expect(resolved(rules[0]!.AllowedOrigins, { AllowedOrigins: ['https://app.example.com', 'https://admin.example.com'] })).toEqual([
      'https://app.example.com',
      'https://admin.example.com',
    ]);
  });

  test('deletes liveness images after LivenessImageRetentionDays', () => {
    const rules = asList(asMap(bucket.LifecycleConfiguration).Rules).map(asMap);
    expect(rules.filter((rule) => rule.Prefix === 'liveness/')).toEqual([
      expect.objectContaining({ Status: 'Enabled', ExpirationInDays: { Ref: 'LivenessImageRetentionDays' } }),
    ]);
  });

  test('deletes uploads under enrollment/ after one day, as each is checked and copied elsewhere within minutes', () => {
    const rules = asList(asMap(bucket.LifecycleConfiguration).Rules).map(asMap);
    expect(rules.filter((rule) => rule.Prefix === 'enrollment/')).toEqual([
      expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 1 }),
    ]);
  });

  test('aborts multipart uploads left incomplete', () => {
    const rules = asList(asMap(bucket.LifecycleConfiguration).Rules).map(asMap);
    const abort = rules.find((rule) => rule.AbortIncompleteMultipartUpload !== undefined);
    expect(abort).toMatchObject({ Status: 'Enabled' });
    expect(abort!.Prefix).toBeUndefined();
  });

  test('invokes the indexer, and only the indexer, for every object created under enrollment/', () => {
    expect(bucket.NotificationConfiguration).toEqual({
      LambdaConfigurations: [
        {
          Event: 's3:ObjectCreated:*',
          Function: { 'Fn::GetAtt': ['IndexFaceFunction', 'Arn'] },
          Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'enrollment/' }] } },
        },
      ],
    });
    // No SAM S3 event may add a second subscription; the sweep's schedule is the only SAM event.
    const s3Events = TEMPLATE_FUNCTION_IDS.flatMap((id) =>
      Object.values((propertiesOf(id).Events ?? {}) as Record<string, { Type: string }>).filter((event) => event.Type === 'S3'),
    );
    expect(s3Events).toEqual([]);
  });

  test('lets S3 invoke the indexer for this bucket of this account only (SourceArn and SourceAccount)', () => {
    const permission = propertiesOf('IndexFaceInvokePermission');
    expect(resource('IndexFaceInvokePermission').Type).toBe('AWS::Lambda::Permission');
    expect(permission).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': ['IndexFaceFunction', 'Arn'] },
      Principal: 's3.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
    expect(resolved(permission.SourceArn)).toBe(`arn:aws:s3:::${BUCKET_NAME}`);
    const s3Permissions = Object.values(template.Resources).filter(
      ({ Type, Properties }) => Type === 'AWS::Lambda::Permission' && Properties?.Principal === 's3.amazonaws.com',
    );
    expect(s3Permissions).toHaveLength(1);
  });

  test('is created after the invoke permission, which S3 checks when the notification is set', () => {
    expect(asList(resource('FaceBucket').DependsOn)).toContain('IndexFaceInvokePermission');
  });
});

describe('the face collection', () => {
  const collection = propertiesOf('FaceCollection');

  test("is created by InitCollectionFunction with the functions' COLLECTION_ID", () => {
    expect(resource('FaceCollection').Type).toBe('Custom::RekognitionCollection');
    expect(collection.ServiceToken).toEqual({ 'Fn::GetAtt': ['InitCollectionFunction', 'Arn'] });
    expect(resolved(collection.CollectionId)).toBe(COLLECTION_ID);
  });

  test('adopts an existing collection holding faces only when AdoptExistingCollection says so (default false)', () => {
    expect(collection.AdoptExisting).toEqual({ Ref: 'AdoptExistingCollection' });
    expect(template.Parameters?.AdoptExistingCollection).toMatchObject({ Default: 'false', AllowedValues: ['true', 'false'] });
  });
});

describe("the stack's deletion", () => {
  const collection = propertiesOf('FaceCollection');
  const policyWith = (RetainDataOnDelete: string) => resolved(resource('FaceBucket').DeletionPolicy, { RetainDataOnDelete });

  test('deletes the collection resource before the bucket, which it names and empties (it depends on the bucket)', () => {
    expect(collection.BucketName).toEqual({ Ref: 'FaceBucket' });
    expect(resolved(collection.BucketName)).toBe(BUCKET_NAME);
    expect([...referencedLogicalIds(collection)]).toContain('FaceBucket');
    expect([...referencedLogicalIds(propertiesOf('FaceBucket'))]).not.toContain('FaceCollection');
  });

  test('by default deletes the photos, the faces and the bucket', () => {
    expect(template.Parameters?.RetainDataOnDelete).toMatchObject({ Default: 'false', AllowedValues: ['true', 'false'] });
    expect(resolved(collection.RetainOnDelete)).toBe('false');
    expect(policyWith('false')).toBe('Delete');
  });

  test('keeps the bucket with its photos and the collection with its faces when RetainDataOnDelete is true', () => {
    expect(resolved(collection.RetainOnDelete, { RetainDataOnDelete: 'true' })).toBe('true');
    expect(policyWith('true')).toBe('Retain');
  });

  test("sets the bucket's DeletionPolicy from the parameter through AWS::LanguageExtensions, which allows Fn::If there", () => {
    expect(asList(template.Transform)).toContain('AWS::LanguageExtensions');
    expect(resource('FaceBucket').DeletionPolicy).toEqual({ 'Fn::If': ['RetainData', 'Retain', 'Delete'] });
  });

  test('gives the custom resource time to empty a large bucket, within the Lambda maximum of 15 minutes', () => {
    const timeout = Number(propertiesOf('InitCollectionFunction').Timeout);
    expect(timeout).toBeGreaterThanOrEqual(300);
    expect(timeout).toBeLessThanOrEqual(900);
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
