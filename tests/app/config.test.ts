import { AppConfigError, parseAppConfig } from '../../app/src/config';

const local = {
  region: 'us-east-1',
  userPoolId: 'us-east-1_LocalPool1',
  userPoolClientId: 'localclient',
  userPoolEndpoint: 'http://localhost:9229',
  mailboxUrl: 'http://localhost:9229/mailbox',
  liveness: {
    endpointOverride: 'wss://localhost:4581',
    faceModelUrl: '/models/blazeface/model.json',
    binaryPath: '/tfjs-wasm/',
  },
};

describe('the runtime config of the web app', () => {
  it('accepts the local stack config and defaults the lockout to 30 minutes', () => {
    expect(parseAppConfig(local)).toEqual({ ...local, identityPoolId: undefined, lockoutMinutes: 30 });
  });

  it('accepts a deployed config with an identity pool and no endpoints', () => {
    const deployed = {
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_AbC123',
      userPoolClientId: 'abc',
      identityPoolId: 'eu-west-1:11111111-2222-3333-4444-555555555555',
      lockoutMinutes: 15,
      liveness: { faceModelUrl: '/models/blazeface/model.json', binaryPath: '/tfjs-wasm/' },
    };
    expect(parseAppConfig(deployed)).toMatchObject({ ...deployed, userPoolEndpoint: undefined });
  });

  it('refuses a config that is not an object', () => {
    expect(() => parseAppConfig([])).toThrow(AppConfigError);
  });

  it('names a missing field', () => {
    const { userPoolClientId: _omitted, ...rest } = local;
    expect(() => parseAppConfig(rest)).toThrow('config.userPoolClientId must be a non-empty string');
  });

  it('refuses a region that is not an AWS region', () => {
    expect(() => parseAppConfig({ ...local, region: 'local' })).toThrow('config.region is not an AWS region');
  });

  it('refuses a user pool id without its region prefix', () => {
    expect(() => parseAppConfig({ ...local, userPoolId: 'LocalPool1' })).toThrow('config.userPoolId must look like');
  });

  it('refuses a wasm path that does not end in a slash', () => {
    expect(() => parseAppConfig({ ...local, liveness: { ...local.liveness, binaryPath: '/tfjs-wasm' } })).toThrow(
      'binaryPath must end with "/"',
    );
  });

  it('accepts the liveness endpoint as https or wss, the forms the streaming SDK takes', () => {
    for (const endpointOverride of ['https://localhost:4581', 'wss://localhost:4581']) {
      expect(parseAppConfig({ ...local, liveness: { ...local.liveness, endpointOverride } }).liveness.endpointOverride).toBe(
        endpointOverride,
      );
    }
  });

  it('refuses an unencrypted liveness endpoint', () => {
    expect(() => parseAppConfig({ ...local, liveness: { ...local.liveness, endpointOverride: 'http://localhost:4581' } })).toThrow(
      'config.liveness.endpointOverride must use https: or wss:',
    );
  });

  it('refuses a config with neither an identity pool nor a liveness endpoint, which could not sign the stream', () => {
    const { endpointOverride: _omitted, ...liveness } = local.liveness;
    expect(() => parseAppConfig({ ...local, liveness })).toThrow('config.identityPoolId is required');
  });

  it('refuses a lockout that is not a positive whole number of minutes', () => {
    expect(() => parseAppConfig({ ...local, lockoutMinutes: 0.5 })).toThrow('config.lockoutMinutes');
  });
});

describe('the account API settings of the runtime config', () => {
  const withAccountApi = { ...local, accountApiUrl: 'http://localhost:4590', freshSignInMinutes: 5 };

  it('takes the account API URL with the fresh sign-in window', () => {
    expect(parseAppConfig(withAccountApi)).toMatchObject({ accountApiUrl: 'http://localhost:4590', freshSignInMinutes: 5 });
  });

  it('leaves both out for a stack without the account API', () => {
    const config = parseAppConfig(local);
    expect(config.accountApiUrl).toBeUndefined();
    expect(config.freshSignInMinutes).toBeUndefined();
  });

  it('refuses an account API URL that is not absolute', () => {
    expect(() => parseAppConfig({ ...withAccountApi, accountApiUrl: '/api' })).toThrow('config.accountApiUrl must be an absolute URL');
  });

  it('refuses an account API URL with a trailing slash', () => {
    expect(() => parseAppConfig({ ...withAccountApi, accountApiUrl: 'http://localhost:4590/' })).toThrow(
      'config.accountApiUrl must not end with "/"',
    );
  });

  it('requires the fresh sign-in window with the account API, since a guessed one would tell the user a wrong deadline', () => {
    const { freshSignInMinutes: _omitted, ...rest } = withAccountApi;
    expect(() => parseAppConfig(rest)).toThrow('config.freshSignInMinutes must be a positive whole number');
  });

  it('refuses a fresh sign-in window that is not a positive whole number of minutes', () => {
    expect(() => parseAppConfig({ ...withAccountApi, freshSignInMinutes: 0 })).toThrow('config.freshSignInMinutes');
  });
});
