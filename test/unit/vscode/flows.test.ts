import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getFlows, unavailableReason, type ExtensionHostKind } from '../../../src/vscode/flows.js';
import type { FlowId } from '../../../src/vscode/settings.js';
import { ALL_FLOWS } from '../../../src/vscode/sign-in-flows.js';

type Table = Record<ExtensionHostKind, Record<FlowId | 'none', FlowId[]>>;

/**
 * The flows offered, in order, per extension host and preferred flow, at an identity provider
 * with a device authorization endpoint. A preferred flow goes first even where it is not
 * supported (the user knows their setup), and is never listed twice.
 */
const TABLE: Table = {
  local: {
    none: ['loopback', 'uriHandler', 'deviceCode'],
    loopback: ['loopback', 'uriHandler', 'deviceCode'],
    uriHandler: ['uriHandler', 'loopback', 'deviceCode'],
    deviceCode: ['deviceCode', 'loopback', 'uriHandler'],
  },
  remote: {
    none: ['uriHandler', 'deviceCode'],
    loopback: ['loopback', 'uriHandler', 'deviceCode'],
    uriHandler: ['uriHandler', 'deviceCode'],
    deviceCode: ['deviceCode', 'uriHandler'],
  },
  // No sockets in a web worker: the loopback flow is not offered there, not even when preferred.
  webWorker: {
    none: ['uriHandler', 'deviceCode'],
    loopback: ['uriHandler', 'deviceCode'],
    uriHandler: ['uriHandler', 'deviceCode'],
    deviceCode: ['deviceCode', 'uriHandler'],
  },
};

/**
 * The same at an identity provider whose discovery document names no device authorization
 * endpoint: the device code is never offered, not even when preferred.
 */
const TABLE_WITHOUT_DEVICE_ENDPOINT: Table = {
  local: {
    none: ['loopback', 'uriHandler'],
    loopback: ['loopback', 'uriHandler'],
    uriHandler: ['uriHandler', 'loopback'],
    deviceCode: ['loopback', 'uriHandler'],
  },
  remote: {
    none: ['uriHandler'],
    loopback: ['loopback', 'uriHandler'],
    uriHandler: ['uriHandler'],
    deviceCode: ['uriHandler'],
  },
  webWorker: {
    none: ['uriHandler'],
    loopback: ['uriHandler'],
    uriHandler: ['uriHandler'],
    deviceCode: ['uriHandler'],
  },
};

/**
 * A flow asked for by name (the palette's "Sign In with a Device Code", the API's `flow`): that
 * flow alone wherever the extension host runs, and nothing when the identity provider cannot do
 * it. Per device endpoint (yes / no), then the flow asked for.
 */
const ONLY_TABLE: Record<'withDeviceEndpoint' | 'withoutDeviceEndpoint', Record<FlowId, FlowId[]>> = {
  withDeviceEndpoint: { loopback: ['loopback'], uriHandler: ['uriHandler'], deviceCode: ['deviceCode'] },
  withoutDeviceEndpoint: { loopback: ['loopback'], uriHandler: ['uriHandler'], deviceCode: [] },
};
/** The same in a web worker extension host, where the loopback flow cannot run. */
const ONLY_TABLE_WEB_WORKER: typeof ONLY_TABLE = {
  withDeviceEndpoint: { loopback: [], uriHandler: ['uriHandler'], deviceCode: ['deviceCode'] },
  withoutDeviceEndpoint: { loopback: [], uriHandler: ['uriHandler'], deviceCode: [] },
};

/**
 * At an identity provider whose device authorization endpoint sends no CORS headers (Microsoft
 * Entra ID): the device code is offered everywhere but in a web worker extension host.
 */
const TABLE_DEVICE_ENDPOINT_REFUSES_BROWSERS: Record<ExtensionHostKind, FlowId[]> = {
  local: ['loopback', 'uriHandler', 'deviceCode'],
  remote: ['uriHandler', 'deviceCode'],
  webWorker: ['uriHandler'],
};

describe('getFlows with ALL_FLOWS', () => {
  for (const [deviceAuthorizationEndpoint, table] of [
    [true, TABLE],
    [false, TABLE_WITHOUT_DEVICE_ENDPOINT],
  ] as const) {
    for (const [extensionHost, row] of Object.entries(table) as [ExtensionHostKind, Record<FlowId | 'none', FlowId[]>][]) {
      for (const [preferred, expected] of Object.entries(row) as [FlowId | 'none', FlowId[]][]) {
        test(`${extensionHost} host, ${deviceAuthorizationEndpoint ? 'with' : 'without'} a device endpoint, preferred ${preferred} → ${expected.join(', ')}`, () => {
          const flows = getFlows(ALL_FLOWS, { extensionHost, preferred: preferred === 'none' ? undefined : preferred, deviceAuthorizationEndpoint });
          assert.deepEqual(
            flows.map((flow) => flow.id),
            expected,
          );
          assert.equal(new Set(flows).size, flows.length, 'no flow twice');
        });
      }
    }
  }

  for (const [endpoint, row] of Object.entries(ONLY_TABLE) as [keyof typeof ONLY_TABLE, Record<FlowId, FlowId[]>][]) {
    for (const [only, elsewhere] of Object.entries(row) as [FlowId, FlowId[]][]) {
      for (const extensionHost of ['local', 'remote', 'webWorker'] as const) {
        const expected = extensionHost === 'webWorker' ? ONLY_TABLE_WEB_WORKER[endpoint][only] : elsewhere;
        test(`only ${only}, ${endpoint}, ${extensionHost} host → ${expected.join(', ') || 'nothing'}`, () => {
          const deviceAuthorizationEndpoint = endpoint === 'withDeviceEndpoint';
          // A preferred flow does not change what was asked for by name.
          const flows = getFlows(ALL_FLOWS, { extensionHost, only, preferred: 'loopback', deviceAuthorizationEndpoint });
          assert.deepEqual(
            flows.map((flow) => flow.id),
            expected,
          );
        });
      }
    }
  }

  for (const [extensionHost, expected] of Object.entries(TABLE_DEVICE_ENDPOINT_REFUSES_BROWSERS) as [ExtensionHostKind, FlowId[]][]) {
    test(`${extensionHost} host, a device endpoint that refuses browsers → ${expected.join(', ')}`, () => {
      const flows = getFlows(ALL_FLOWS, { extensionHost, preferred: 'deviceCode', deviceAuthorizationEndpoint: true, deviceEndpointServesBrowsers: false });
      assert.deepEqual(
        flows.map((flow) => flow.id),
        extensionHost === 'webWorker' ? expected : ['deviceCode', ...expected.filter((id) => id !== 'deviceCode')],
      );
    });
  }

  test('unavailableReason: a web worker cannot run the loopback flow, nor a device code its endpoint refuses to browsers', () => {
    const reasons = (query: Parameters<typeof unavailableReason>[1]) => Object.fromEntries(ALL_FLOWS.map((flow) => [flow.id, unavailableReason(flow, query)]));
    assert.deepEqual(reasons({ extensionHost: 'webWorker', deviceAuthorizationEndpoint: true }), { loopback: 'noSocketsInWebWorker', uriHandler: undefined, deviceCode: undefined });
    assert.deepEqual(reasons({ extensionHost: 'webWorker', deviceAuthorizationEndpoint: true, deviceEndpointServesBrowsers: false }), {
      loopback: 'noSocketsInWebWorker',
      uriHandler: undefined,
      deviceCode: 'deviceEndpointRefusesBrowsers',
    });
    assert.deepEqual(reasons({ extensionHost: 'remote', deviceAuthorizationEndpoint: true, deviceEndpointServesBrowsers: false }), { loopback: undefined, uriHandler: undefined, deviceCode: undefined });
  });

  test('unavailableReason names the missing device endpoint for the device code only', () => {
    for (const flow of ALL_FLOWS) {
      assert.equal(unavailableReason(flow, { deviceAuthorizationEndpoint: true }), undefined, flow.id);
      assert.equal(unavailableReason(flow, { deviceAuthorizationEndpoint: false }), flow.id === 'deviceCode' ? 'noDeviceAuthorizationEndpoint' : undefined, flow.id);
    }
  });

  test('the tables cover every extension host and flow', () => {
    for (const table of [TABLE, TABLE_WITHOUT_DEVICE_ENDPOINT]) {
      assert.deepEqual(Object.keys(table).sort(), ['local', 'remote', 'webWorker']);
      for (const row of Object.values(table)) assert.deepEqual(Object.keys(row).sort(), ['deviceCode', 'loopback', 'none', 'uriHandler']);
    }
  });

  test('returns the flow objects themselves and leaves ALL_FLOWS as it was', () => {
    const before = [...ALL_FLOWS];
    const flows = getFlows(ALL_FLOWS, { extensionHost: 'remote', preferred: 'deviceCode', deviceAuthorizationEndpoint: true });
    for (const flow of flows) assert.ok(ALL_FLOWS.includes(flow));
    assert.deepEqual(ALL_FLOWS, before);
  });
});

describe('getFlows with other flow lists', () => {
  const only = (id: FlowId, remote: boolean, webWorker: boolean) => ({ id, supportsRemoteExtensionHost: remote, supportsWebWorkerExtensionHost: webWorker });

  test('remote and web worker hosts follow their own capability flags', () => {
    const all = [only('loopback', true, false), only('uriHandler', false, true), only('deviceCode', false, false)];
    assert.deepEqual(
      getFlows(all, { extensionHost: 'remote', deviceAuthorizationEndpoint: true }).map((f) => f.id),
      ['loopback'],
    );
    assert.deepEqual(
      getFlows(all, { extensionHost: 'webWorker', deviceAuthorizationEndpoint: true }).map((f) => f.id),
      ['uriHandler'],
    );
    assert.deepEqual(
      getFlows(all, { extensionHost: 'local', deviceAuthorizationEndpoint: true }).map((f) => f.id),
      ['loopback', 'uriHandler', 'deviceCode'],
    );
  });

  test('a preferred flow missing from the list is no flow', () => {
    const all = [only('deviceCode', true, true)];
    assert.deepEqual(
      getFlows(all, { extensionHost: 'local', preferred: 'loopback', deviceAuthorizationEndpoint: true }).map((f) => f.id),
      ['deviceCode'],
    );
    assert.deepEqual(getFlows([], { extensionHost: 'local', preferred: 'loopback', deviceAuthorizationEndpoint: true }), []);
  });
});
