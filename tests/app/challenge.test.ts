import { parseChallenge } from '../../app/src/challenge';

const enrollParams = {
  step: 'ENROLL_ID_PHOTO',
  uploadUrl: 'http://localhost:4569/face-bucket',
  uploadFields: JSON.stringify({ key: 'enrollment/sub-1/abc.jpg', Policy: 'cG9saWN5', 'X-Amz-Signature': 'f00' }),
  maxBytes: '5242880',
  contentTypes: 'image/jpeg',
};

describe('reading the public challenge parameters', () => {
  it('reads an EMAIL_CODE challenge with the masked address and the code length', () => {
    expect(parseChallenge({ step: 'EMAIL_CODE', destination: 'j***@e***.com', codeLength: '6' })).toEqual({
      step: 'EMAIL_CODE',
      destination: 'j***@e***.com',
      codeLength: 6,
    });
  });

  it('refuses an EMAIL_CODE challenge whose code length is not a positive whole number', () => {
    expect(() => parseChallenge({ step: 'EMAIL_CODE', destination: 'j***@e***.com', codeLength: 'six' })).toThrow(
      '"codeLength" must be a positive whole number',
    );
  });

  it('reads an ENROLL_ID_PHOTO challenge with its upload fields, size limit and types', () => {
    expect(parseChallenge(enrollParams)).toEqual({
      step: 'ENROLL_ID_PHOTO',
      uploadUrl: 'http://localhost:4569/face-bucket',
      uploadFields: { key: 'enrollment/sub-1/abc.jpg', Policy: 'cG9saWN5', 'X-Amz-Signature': 'f00' },
      maxBytes: 5242880,
      contentTypes: ['image/jpeg'],
    });
  });

  it('reads a FACE_LIVENESS challenge with its session id and region', () => {
    expect(parseChallenge({ step: 'FACE_LIVENESS', sessionId: '0f0e-11', region: 'us-east-1' })).toEqual({
      step: 'FACE_LIVENESS',
      sessionId: '0f0e-11',
      region: 'us-east-1',
    });
  });

  it('refuses a challenge without parameters', () => {
    expect(() => parseChallenge(undefined)).toThrow('the challenge has no parameters');
  });

  it('refuses an unknown step by name', () => {
    expect(() => parseChallenge({ step: 'SMS_MFA' })).toThrow('unknown challenge step "SMS_MFA"');
  });

  it('names the missing parameter', () => {
    expect(() => parseChallenge({ step: 'FACE_LIVENESS', region: 'us-east-1' })).toThrow('"sessionId" is missing');
  });

  it('refuses upload fields that are not a JSON object of strings', () => {
    expect(() => parseChallenge({ ...enrollParams, uploadFields: 'key=x' })).toThrow('"uploadFields" is not JSON');
    expect(() => parseChallenge({ ...enrollParams, uploadFields: '["a"]' })).toThrow('must be a JSON object');
    expect(() => parseChallenge({ ...enrollParams, uploadFields: '{"key":1}' })).toThrow('upload field "key" must be a string');
  });

  it('refuses a size limit that is not a positive whole number', () => {
    expect(() => parseChallenge({ ...enrollParams, maxBytes: '5MB' })).toThrow('"maxBytes" must be a positive whole number');
    expect(() => parseChallenge({ ...enrollParams, maxBytes: '0' })).toThrow('"maxBytes"');
  });

  it('refuses an upload policy that does not allow JPEG, the type the app uploads', () => {
    expect(() => parseChallenge({ ...enrollParams, contentTypes: 'image/png' })).toThrow('"contentTypes" does not allow image/jpeg');
  });

  it('refuses an upload URL that is not a URL', () => {
    expect(() => parseChallenge({ ...enrollParams, uploadUrl: 'face-bucket' })).toThrow('"uploadUrl" is not a URL');
  });
});
