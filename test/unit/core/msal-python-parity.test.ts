/**
 * MSAL for Python parity rows that need no identity provider (issue 13): option and method names
 * taken from MSAL for Python 1.31's msal/application.py (with the broker switches of later
 * releases), each implemented or refused with a typed error; unknown options refused; regions;
 * broker switches; AuthorityBuilder; the retry rule of the default HTTP client; the result shape.
 * Rows that send a request are proven against the real IdP in
 * test/integration/msal-python-parity.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ATTEMPT_REGION_DISCOVERY,
  ClientApplication,
  ConfidentialClientApplication,
  PublicClientApplication,
} from '../../../src/core/index.js';
import { AuthorityBuilder, AZURE_CHINA, AZURE_PUBLIC, AZURE_US_GOVERNMENT, parseAuthority } from '../../../src/core/authority.js';
import { AuthError } from '../../../src/core/errors.js';
import { type FetchLike, retryOnceAfterConnectionError } from '../../../src/core/http.js';
import type { Logger } from '../../../src/core/logger.js';
import { appToken, ENTRA_HOST as HOST, ENTRA_TENANT as TENANT, fakeEntra, jsonResponse, rejectsWithCode } from './fakes.js';

/** MSAL's snake_case name in this library's camelCase. */
function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * MSAL for Python's public names, from msal/application.py (1.31; `enable_broker_on_linux` and
 * `_wsl` from 1.32). Constructor keyword arguments, then per method its keyword arguments
 * (positional ones that are not options, such as `scopes`, are left out), then class attributes.
 */
const PYTHON_CONSTRUCTOR = [
  'client_id', 'client_credential', 'authority', 'validate_authority', 'token_cache', 'http_client', 'verify', 'proxies',
  'timeout', 'client_claims', 'app_name', 'app_version', 'client_capabilities', 'azure_region', 'exclude_scopes',
  'http_cache', 'instance_discovery', 'allow_broker', 'enable_pii_log', 'oidc_authority',
];
const PYTHON_PUBLIC_CONSTRUCTOR = ['enable_broker_on_windows', 'enable_broker_on_mac', 'enable_broker_on_linux', 'enable_broker_on_wsl'];
const PYTHON_METHODS: Record<string, { cls: 'ClientApplication' | 'PublicClientApplication' | 'ConfidentialClientApplication'; options: string[] }> = {
  is_pop_supported: { cls: 'ClientApplication', options: [] },
  initiate_auth_code_flow: { cls: 'ClientApplication', options: ['redirect_uri', 'state', 'prompt', 'login_hint', 'domain_hint', 'claims_challenge', 'max_age', 'response_mode'] },
  get_authorization_request_url: { cls: 'ClientApplication', options: ['login_hint', 'state', 'redirect_uri', 'response_type', 'prompt', 'nonce', 'domain_hint', 'claims_challenge'] },
  acquire_token_by_auth_code_flow: { cls: 'ClientApplication', options: ['scopes', 'data'] },
  acquire_token_by_authorization_code: { cls: 'ClientApplication', options: ['redirect_uri', 'nonce', 'claims_challenge', 'data'] },
  get_accounts: { cls: 'ClientApplication', options: [] },
  remove_account: { cls: 'ClientApplication', options: [] },
  acquire_token_silent: { cls: 'ClientApplication', options: ['authority', 'force_refresh', 'claims_challenge', 'auth_scheme', 'data'] },
  acquire_token_silent_with_error: { cls: 'ClientApplication', options: ['authority', 'force_refresh', 'claims_challenge', 'auth_scheme', 'data'] },
  acquire_token_by_refresh_token: { cls: 'ClientApplication', options: ['data'] },
  acquire_token_by_username_password: { cls: 'ClientApplication', options: ['claims_challenge', 'auth_scheme', 'data'] },
  acquire_token_interactive: {
    cls: 'PublicClientApplication',
    options: ['prompt', 'login_hint', 'domain_hint', 'claims_challenge', 'timeout', 'port', 'extra_scopes_to_consent', 'max_age', 'parent_window_handle', 'on_before_launching_ui', 'auth_scheme', 'data'],
  },
  initiate_device_flow: { cls: 'PublicClientApplication', options: [] },
  acquire_token_by_device_flow: { cls: 'PublicClientApplication', options: ['claims_challenge', 'data'] },
  acquire_token_for_client: { cls: 'ConfidentialClientApplication', options: ['claims_challenge', 'data'] },
  remove_tokens_for_client: { cls: 'ConfidentialClientApplication', options: [] },
  acquire_token_on_behalf_of: { cls: 'ConfidentialClientApplication', options: ['claims_challenge', 'data'] },
};
const PYTHON_CLASS_ATTRIBUTES: Record<string, string[]> = {
  // MSAL for Python's telemetry API ids (ACQUIRE_TOKEN_SILENT_ID, ...) are left out on purpose
  // (issue 16): they only label its telemetry header, which this library does not send.
  ClientApplication: ['ATTEMPT_REGION_DISCOVERY', 'DISABLE_MSAL_FORCE_REGION'],
  PublicClientApplication: ['DEVICE_FLOW_CORRELATION_ID', 'CONSOLE_WINDOW_HANDLE'],
};

/** Options that are refused by design (typed), with the code they are refused with. */
const REFUSED: Record<string, string> = { authScheme: 'not_supported' };

const CLASSES = { ClientApplication, PublicClientApplication, ConfidentialClientApplication };

describe("MSAL for Python's names: each implemented, or refused with a typed error", () => {
  it('every constructor option is accepted by name', () => {
    for (const name of [...PYTHON_CONSTRUCTOR, ...PYTHON_PUBLIC_CONSTRUCTOR].map(camel)) {
      if (name === 'clientCredential' || name === 'authority' || name === 'oidcAuthority') continue; // checked for their values below
      const value = name === 'azureRegion' ? true : name === 'clientId' ? 'c' : undefined;
      // An option the library does not know is refused by name: none of these may be.
      assert.doesNotThrow(() => new PublicClientApplication({ clientId: 'c', [name]: value }), `constructor option ${name}`);
    }
    assert.doesNotThrow(() => new ConfidentialClientApplication({ clientId: 'c', clientCredential: 's', authority: `${HOST}/${TENANT}` }));
    assert.doesNotThrow(() => new PublicClientApplication({ clientId: 'c', oidcAuthority: 'https://idp.example' }));
  });

  it('every method exists on its class, and every option is implemented or refused with a typed error', async () => {
    const pca = new PublicClientApplication({ clientId: 'c', authority: `${HOST}/${TENANT}`, httpClient: fakeEntra().fetch });
    const account = { homeAccountId: 'uid.utid', environment: 'login.microsoftonline.com', realm: TENANT, localAccountId: 'uid', username: 'u', authorityType: 'MSSTS' };
    for (const [python, { cls, options }] of Object.entries(PYTHON_METHODS)) {
      const method = camel(python);
      assert.equal(typeof (CLASSES[cls].prototype as unknown as Record<string, unknown>)[method], 'function', `${cls}.${method}`);
      for (const option of options.map(camel)) {
        const known = await optionIsKnown(method, option);
        assert.ok(known === true || REFUSED[option] !== undefined, `${cls}.${method}(${option}): ${known}`);
      }
    }
    await rejectsWithCode(pca.acquireTokenSilent(['User.Read'], account, { authScheme: {} }), 'not_supported');
    await rejectsWithCode(pca.acquireTokenByUsernamePassword('u', 'p', ['User.Read'], { authScheme: {} }), 'not_supported');
    await rejectsWithCode(pca.acquireTokenInteractive(['User.Read'], { authScheme: {} }), 'not_supported');
  });

  it('every class attribute exists', () => {
    for (const [cls, names] of Object.entries(PYTHON_CLASS_ATTRIBUTES)) {
      for (const name of names) assert.ok(name in CLASSES[cls as keyof typeof CLASSES], `${cls}.${name}`);
    }
    assert.equal(ClientApplication.ATTEMPT_REGION_DISCOVERY, true);
    assert.equal(ConfidentialClientApplication.ATTEMPT_REGION_DISCOVERY, true);
    assert.equal(ClientApplication.DISABLE_MSAL_FORCE_REGION, false);
    assert.equal(typeof PublicClientApplication.CONSOLE_WINDOW_HANDLE, 'symbol');
  });
});

/** Whether `method` accepts `option` by name: the call must not fail with "does not take". */
async function optionIsKnown(method: string, option: string): Promise<true | string> {
  const fake = fakeEntra();
  const pca = new PublicClientApplication({ clientId: 'c', authority: `${HOST}/${TENANT}`, httpClient: fake.fetch });
  const cca = new ConfidentialClientApplication({ clientId: 'c', clientCredential: 's', authority: `${HOST}/${TENANT}`, httpClient: fake.fetch });
  // `never`: the probe name is what the library must refuse, so the types cannot allow it.
  const bag = { [option]: undefined, unknownProbe: 1 } as never;
  const calls: Record<string, () => Promise<unknown>> = {
    isPopSupported: async () => pca.isPopSupported(),
    initiateAuthCodeFlow: () => pca.initiateAuthCodeFlow(['User.Read'], bag),
    getAuthorizationRequestUrl: () => pca.getAuthorizationRequestUrl(['User.Read'], bag),
    acquireTokenByAuthCodeFlow: () => pca.acquireTokenByAuthCodeFlow({} as never, {}, bag),
    acquireTokenByAuthorizationCode: () => pca.acquireTokenByAuthorizationCode('', ['User.Read'], bag),
    acquireTokenSilent: () => pca.acquireTokenSilent(['User.Read'], undefined, bag),
    acquireTokenSilentWithError: () => pca.acquireTokenSilentWithError(['User.Read'], undefined, bag),
    acquireTokenByRefreshToken: () => pca.acquireTokenByRefreshToken('', ['User.Read'], bag),
    acquireTokenByUsernamePassword: () => pca.acquireTokenByUsernamePassword('', '', ['User.Read'], bag),
    acquireTokenInteractive: () => pca.acquireTokenInteractive(['User.Read'], bag),
    acquireTokenByDeviceFlow: () => pca.acquireTokenByDeviceFlow({} as never, bag),
    acquireTokenForClient: () => cca.acquireTokenForClient(['User.Read'], bag),
    acquireTokenOnBehalfOf: () => cca.acquireTokenOnBehalfOf('', ['User.Read'], bag),
  };
  const call = calls[method];
  if (!call) return `no probe for ${method}`;
  // The probe name makes every call fail on names; the message must name only the probe.
  try {
    await call();
    return 'an unknown option was not refused';
  } catch (err) {
    if (!(err instanceof AuthError) || err.code !== 'invalid_argument') return `refused otherwise: ${String(err)}`;
    if (!err.message.includes("'unknownProbe'")) return `refused otherwise: ${err.message}`;
    return err.message.includes(`'${option}'`) ? `refused by name: ${err.message}` : true;
  }
}

describe('unknown option names are refused, as Python refuses an unexpected keyword argument', () => {
  it('in the constructor, naming the option', () => {
    assert.throws(() => new PublicClientApplication({ clientId: 'c', autority: `${HOST}/${TENANT}` } as never), (e: unknown) => e instanceof AuthError && e.code === 'invalid_argument' && e.message.includes("'autority'"));
    assert.throws(() => new ConfidentialClientApplication({ clientId: 'c', clientCredential: 's', client_claims: {} } as never), { code: 'invalid_argument' });
  });
  it('in method options, naming the option', async () => {
    const app = new PublicClientApplication({ clientId: 'c', authority: `${HOST}/${TENANT}`, httpClient: fakeEntra().fetch });
    const err = await rejectsWithCode(app.acquireTokenSilent(['User.Read'], undefined, { force_refresh: true } as never), 'invalid_argument');
    assert.match(err.message, /'force_refresh'/);
    await rejectsWithCode(app.initiateDeviceFlow(['User.Read'], { claims: '{}' } as never), 'invalid_argument');
    await rejectsWithCode(app.getAuthorizationRequestUrl(['User.Read'], { response_type: 'token' } as never), 'invalid_argument');
  });
});

describe('azureRegion: true detects the region; no host is built from a non-string', () => {
  const tokenAt = (host: string) => `https://${host}/${TENANT}/oauth2/v2.0/token`;
  for (const detect of [true, ATTEMPT_REGION_DISCOVERY, ClientApplication.ATTEMPT_REGION_DISCOVERY, 'TryAutoDetect'] as const) {
    it(`azureRegion: ${JSON.stringify(detect)} goes to the detected region`, async () => {
      const fake = fakeEntra().on(tokenAt('eastus.login.microsoft.com'), jsonResponse(appToken));
      await new ConfidentialClientApplication({
        clientId: 'c', clientCredential: 's', authority: `${HOST}/${TENANT}`, httpClient: fake.fetch, azureRegion: detect, platform: { detectRegion: () => 'eastus' },
      }).acquireTokenForClient(['https://graph.microsoft.com/.default']);
      assert.equal(fake.count(tokenAt('eastus.login.microsoft.com')), 1);
      assert.ok(!fake.requests.some((request) => request.url.includes('true.')));
    });
  }
  it('false opts out, MSAL_FORCE_REGION included; absent, MSAL_FORCE_REGION applies', async () => {
    const platform = { forcedRegion: () => 'westeurope', detectRegion: () => 'eastus' };
    const central = fakeEntra().on(tokenAt('login.microsoftonline.com'), jsonResponse(appToken));
    await new ConfidentialClientApplication({ clientId: 'c', clientCredential: 's', authority: `${HOST}/${TENANT}`, httpClient: central.fetch, azureRegion: ClientApplication.DISABLE_MSAL_FORCE_REGION, platform })
      .acquireTokenForClient(['https://graph.microsoft.com/.default']);
    assert.equal(central.count(tokenAt('login.microsoftonline.com')), 1);
    const forced = fakeEntra().on(tokenAt('westeurope.login.microsoft.com'), jsonResponse(appToken));
    await new ConfidentialClientApplication({ clientId: 'c', clientCredential: 's', authority: `${HOST}/${TENANT}`, httpClient: forced.fetch, platform })
      .acquireTokenForClient(['https://graph.microsoft.com/.default']);
    assert.equal(forced.count(tokenAt('westeurope.login.microsoft.com')), 1);
  });
  it('a region that is not a DNS label is refused; a detected one is not used', async () => {
    for (const bad of [{}, 1, 'west.us', 'evil.example/x', ''] as unknown[]) {
      assert.throws(() => new ConfidentialClientApplication({ clientId: 'c', clientCredential: 's', azureRegion: bad as string }), { code: 'invalid_argument' }, String(bad));
    }
    const central = fakeEntra().on(tokenAt('login.microsoftonline.com'), jsonResponse(appToken));
    await new ConfidentialClientApplication({
      clientId: 'c', clientCredential: 's', authority: `${HOST}/${TENANT}`, httpClient: central.fetch, azureRegion: true, platform: { detectRegion: () => 'evil.example' },
    }).acquireTokenForClient(['https://graph.microsoft.com/.default']);
    assert.equal(central.count(tokenAt('login.microsoftonline.com')), 1);
  });
  it('is accepted on a public client, as on ClientApplication in Python', () => {
    assert.doesNotThrow(() => new PublicClientApplication({ clientId: 'c', azureRegion: true }));
  });
});

describe('broker switches', () => {
  const lines: string[] = [];
  const push = (message: string) => void lines.push(message);
  const logger: Logger = { error: push, warning: push, info: push, verbose: push };
  it('are accepted on a public client, which uses the browser; the log says so once', () => {
    lines.length = 0;
    const app = new PublicClientApplication({ clientId: 'c', enableBrokerOnWindows: true, enableBrokerOnMac: true, enableBrokerOnLinux: true, enableBrokerOnWsl: true, allowBroker: true, logger });
    assert.equal(lines.filter((line) => /no broker/.test(line)).length, 1, lines.join('\n'));
    // Proof-of-possession without the broker: DPoP, wherever WebCrypto signs (see the dpop option).
    assert.equal(app.isPopSupported(), true);
  });
  it('are refused on a confidential client, as MSAL for Python refuses allow_broker there', () => {
    assert.throws(() => new ConfidentialClientApplication({ clientId: 'c', clientCredential: 's', allowBroker: true }), { code: 'invalid_argument' });
    assert.throws(() => new ConfidentialClientApplication({ clientId: 'c', clientCredential: 's', enableBrokerOnWindows: true }), { code: 'invalid_argument' });
  });
});

describe('AuthorityBuilder', () => {
  it('spells the authority of a cloud and tenant, and is taken as authority', () => {
    assert.equal(String(new AuthorityBuilder(AZURE_PUBLIC, 'contoso.onmicrosoft.com')), 'https://login.microsoftonline.com/contoso.onmicrosoft.com');
    assert.equal(AZURE_CHINA, 'login.chinacloudapi.cn');
    assert.equal(AZURE_US_GOVERNMENT, 'login.microsoftonline.us');
    const parsed = parseAuthority({ authority: new AuthorityBuilder(AZURE_US_GOVERNMENT, 'organizations') });
    assert.equal(parsed.type, 'AAD');
    assert.equal(parsed.url.host, 'login.microsoftonline.us');
    assert.equal(parsed.tenant, 'organizations');
    assert.doesNotThrow(() => new PublicClientApplication({ clientId: 'c', authority: new AuthorityBuilder(AZURE_CHINA, 'common') }));
  });
  it('refuses what would not make a host, and an authority that is neither string nor builder', () => {
    assert.throws(() => new AuthorityBuilder('evil.example/x', 'common'), { code: 'invalid_authority' });
    assert.throws(() => new AuthorityBuilder(AZURE_PUBLIC, 'a/b'), { code: 'invalid_authority' });
    assert.throws(() => new PublicClientApplication({ clientId: 'c', authority: { toString: () => 'https://evil.example/x' } as never }), { code: 'invalid_authority' });
  });
});

describe('the default HTTP client retries once after a connection error', () => {
  const refused = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
  const reset = () => new AuthError('network_error', 'request failed (ECONNRESET)', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
  function flaky(failures: (() => unknown)[]): FetchLike & { calls: number } {
    const fetch = Object.assign(
      async () => {
        fetch.calls += 1;
        const failure = failures.shift();
        if (failure) throw failure();
        return jsonResponse({ ok: true });
      },
      { calls: 0 },
    );
    return fetch;
  }
  it('a connection never made is tried once more, for any method', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const inner = flaky([refused]);
      assert.equal((await retryOnceAfterConnectionError(inner)('https://x.example', { method, headers: {} })).status, 200);
      assert.equal(inner.calls, 2);
    }
  });
  it('only once', async () => {
    const inner = flaky([refused, refused]);
    await assert.rejects(retryOnceAfterConnectionError(inner)('https://x.example', { method: 'GET', headers: {} }));
    assert.equal(inner.calls, 2);
  });
  it('a reset is retried for a GET, not for a POST that may have reached the server; timeouts never', async () => {
    const get = flaky([reset]);
    await retryOnceAfterConnectionError(get)('https://x.example', { method: 'GET', headers: {} });
    assert.equal(get.calls, 2);
    const post = flaky([reset]);
    await assert.rejects(retryOnceAfterConnectionError(post)('https://x.example', { method: 'POST', headers: {} }));
    assert.equal(post.calls, 1);
    const slow = flaky([() => new AuthError('timeout', 'timed out')]);
    await assert.rejects(retryOnceAfterConnectionError(slow)('https://x.example', { method: 'GET', headers: {} }));
    assert.equal(slow.calls, 1);
  });
  it("a caller's own httpClient is used as given", async () => {
    const inner = flaky([refused]);
    const app = new PublicClientApplication({ clientId: 'c', authority: `${HOST}/${TENANT}`, httpClient: inner });
    await assert.rejects(app.getAuthorizationRequestUrl(['User.Read']));
    assert.equal(inner.calls, 1);
  });
});

describe('initiateDeviceFlow(scopes=None)', () => {
  it('asks for the OpenID scopes alone when given no scopes', async () => {
    const fake = fakeEntra().on(`${HOST}/${TENANT}/oauth2/v2.0/devicecode`, jsonResponse({ user_code: 'U', device_code: 'D', verification_uri: 'https://microsoft.com/devicelogin', expires_in: 900 }));
    const flow = await new PublicClientApplication({ clientId: 'c', authority: `${HOST}/${TENANT}`, httpClient: fake.fetch }).initiateDeviceFlow();
    assert.deepEqual([...flow.scope].sort(), ['offline_access', 'openid', 'profile']);
    const sent = new URLSearchParams(fake.requests.at(-1)!.init.body);
    assert.deepEqual(sent.get('scope')!.split(' ').sort(), ['offline_access', 'openid', 'profile']);
    assert.equal(typeof flow[PublicClientApplication.DEVICE_FLOW_CORRELATION_ID], 'string');
  });
});
