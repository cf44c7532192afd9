import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getFlows, type ExtensionHostKind } from '../../../src/vscode/flows.js';
import type { FlowId } from '../../../src/vscode/settings.js';
import { ALL_FLOWS } from '../../../src/vscode/sign-in-flows.js';

/**
 * The flows offered, in order, per extension host and preferred flow. A preferred flow goes first
 * even where it is not supported (the user knows their setup), and is never listed twice.
 */
const TABLE: Record<ExtensionHostKind, Record<FlowId | 'none', FlowId[]>> = {
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
  webWorker: {
    none: ['uriHandler', 'deviceCode'],
    loopback: ['loopback', 'uriHandler', 'deviceCode'],
    uriHandler: ['uriHandler', 'deviceCode'],
    deviceCode: ['deviceCode', 'uriHandler'],
  },
};

describe('getFlows with ALL_FLOWS', () => {
  for (const [extensionHost, row] of Object.entries(TABLE) as [ExtensionHostKind, Record<FlowId | 'none', FlowId[]>][]) {
    for (const [preferred, expected] of Object.entries(row) as [FlowId | 'none', FlowId[]][]) {
      test(`${extensionHost} host, preferred ${preferred} → ${expected.join(', ')}`, () => {
        const flows = getFlows(ALL_FLOWS, { extensionHost, preferred: preferred === 'none' ? undefined : preferred });
        assert.deepEqual(
          flows.map((flow) => flow.id),
          expected,
        );
        assert.equal(new Set(flows).size, flows.length, 'no flow twice');
      });
    }
  }

  test('returns the flow objects themselves and leaves ALL_FLOWS as it was', () => {
    const before = [...ALL_FLOWS];
    const flows = getFlows(ALL_FLOWS, { extensionHost: 'remote', preferred: 'deviceCode' });
    for (const flow of flows) assert.ok(ALL_FLOWS.includes(flow));
    assert.deepEqual(ALL_FLOWS, before);
  });
});

describe('getFlows with other flow lists', () => {
  const only = (id: FlowId, remote: boolean, webWorker: boolean) => ({ id, supportsRemoteExtensionHost: remote, supportsWebWorkerExtensionHost: webWorker });

  test('remote and web worker hosts follow their own capability flags', () => {
    const all = [only('loopback', true, false), only('uriHandler', false, true), only('deviceCode', false, false)];
    assert.deepEqual(
      getFlows(all, { extensionHost: 'remote' }).map((f) => f.id),
      ['loopback'],
    );
    assert.deepEqual(
      getFlows(all, { extensionHost: 'webWorker' }).map((f) => f.id),
      ['uriHandler'],
    );
    assert.deepEqual(
      getFlows(all, { extensionHost: 'local' }).map((f) => f.id),
      ['loopback', 'uriHandler', 'deviceCode'],
    );
  });

  test('a preferred flow missing from the list is no flow', () => {
    const all = [only('deviceCode', true, true)];
    assert.deepEqual(
      getFlows(all, { extensionHost: 'local', preferred: 'loopback' }).map((f) => f.id),
      ['deviceCode'],
    );
    assert.deepEqual(getFlows([], { extensionHost: 'local', preferred: 'loopback' }), []);
  });
});
