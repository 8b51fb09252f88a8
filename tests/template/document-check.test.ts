import { loadClientSettings, loadConfig } from '../../functions/lib/config';
import { deployedEnvironment, EXAMPLE_STACK, globalVariables, template } from './stack';

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

  test('AnalyzeID calls get a longer timeout than the other AWS calls', () => {
    const settings = loadClientSettings(deployedEnvironment());
    expect(settings.documentCheckTimeoutMs).toBeGreaterThan(settings.callTimeoutMs);
  });
});
