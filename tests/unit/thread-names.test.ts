import { lambdaContainerThreadName } from '../../local/thread-names';

describe("a Lambda container's thread name", () => {
  it("is the function's logical ID less 'Function', after the prefix", () => {
    expect(lambdaContainerThreadName('PreSignUpFunction')).toBe('fn:PreSignUp');
  });

  it('keeps to the 15 bytes Linux keeps of a name', () => {
    expect(lambdaContainerThreadName('VerifyAuthChallengeFunction')).toBe('fn:VerifyAuthCh');
  });
});
