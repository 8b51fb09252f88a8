import { template } from './stack';

const parameters = template.Parameters ?? {};
const PERCENTAGES = { SimilarityThreshold: 90, LivenessThreshold: 50, FaceMatchThreshold: 80 };

describe('the parameters', () => {
  test('SimilarityThreshold cannot be set below 90 and defaults to 90', () => {
    expect(parameters.SimilarityThreshold).toMatchObject({ Type: 'Number', MinValue: 90, MaxValue: 100, Default: 90 });
  });

  test.each(Object.entries(PERCENTAGES))('%s is a percentage, so a fraction such as 0.9 is refused at deploy time', (name, least) => {
    expect(parameters[name]).toMatchObject({ Type: 'Number', MinValue: least, MaxValue: 100 });
  });

  test('every parameter is described and used', () => {
    const { Parameters, ...rest } = template;
    const usage = JSON.stringify(rest);
    for (const [name, parameter] of Object.entries(Parameters ?? {})) {
      expect(parameter.Description).toEqual(expect.any(String));
      const referenced = usage.includes(JSON.stringify({ Ref: name })) || usage.includes(`\${${name}}`);
      expect({ name, referenced }).toEqual({ name, referenced: true });
    }
  });

  test('every default lies within its own bounds and allowed values', () => {
    for (const { Default, MinValue, MaxValue, AllowedValues } of Object.values(parameters)) {
      if (MinValue !== undefined) expect(Number(Default)).toBeGreaterThanOrEqual(Number(MinValue));
      if (MaxValue !== undefined) expect(Number(Default)).toBeLessThanOrEqual(Number(MaxValue));
      if (AllowedValues !== undefined) expect(AllowedValues).toContain(Default);
    }
  });
});
