import { loadConfig } from '../../functions/lib/config';
import { actionsOf, allIdentityStatements, deployedEnvironment, EXAMPLE_STACK, globalVariables, template } from './stack';

const parameters = template.Parameters ?? {};
const LAMBDA_PROVIDED = { AWS_REGION: EXAMPLE_STACK.region };
const configWith = (overrides: Record<string, string>) => loadConfig({ ...deployedEnvironment(overrides), ...LAMBDA_PROVIDED });

describe('the document check settings', () => {
  test('DocumentCheck is REQUIRE, RECORD or OFF and defaults to REQUIRE', () => {
    expect(parameters.DocumentCheck).toMatchObject({ Type: 'String', AllowedValues: ['REQUIRE', 'RECORD', 'OFF'], Default: 'REQUIRE' });
  });

  test('the functions get DocumentCheck as DOCUMENT_CHECK', () => {
    expect(globalVariables.DOCUMENT_CHECK).toEqual({ Ref: 'DocumentCheck' });
  });

  test.each(['REQUIRE', 'RECORD', 'OFF'])("DocumentCheck %s reaches the functions' configuration", (policy) => {
    expect(configWith({ DocumentCheck: policy }).documentCheck).toBe(policy);
  });

  test("by default the functions keep none of the document holder's identity", () => {
    expect(parameters.DocumentKeepIdentity).toMatchObject({ AllowedValues: ['true', 'false'], Default: 'false' });
    expect(configWith({}).documentKeepIdentity).toBe(false);
  });

  test("DocumentKeepIdentity true reaches the functions' configuration", () => {
    expect(configWith({ DocumentKeepIdentity: 'true' }).documentKeepIdentity).toBe(true);
  });

  test('only the indexer and Verify, which run the indexing routine, may call textract:AnalyzeID, and on nothing but "*"', () => {
    const grants = allIdentityStatements()
      .filter(({ statement }) => statement.Effect === 'Allow' && actionsOf(statement).includes('textract:AnalyzeID'))
      .map(({ owner, statement }) => ({ owner, resource: statement.Resource }));
    expect(grants.sort((a, b) => a.owner.localeCompare(b.owner))).toEqual([
      { owner: 'IndexFaceFunction', resource: '*' },
      { owner: 'VerifyAuthChallengeFunction', resource: '*' },
    ]);
  });
});
