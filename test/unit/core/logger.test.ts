import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeUrl, LogContext, type Logger, SILENT_LOGGER } from '../../../src/core/logger.js';

function recordingLogger(withTrace = true) {
  const lines: string[] = [];
  const logger: Logger = {
    error: (m) => lines.push(`error ${m}`),
    warning: (m) => lines.push(`warning ${m}`),
    info: (m) => lines.push(`info ${m}`),
    verbose: (m) => lines.push(`verbose ${m}`),
  };
  if (withTrace) logger.trace = (m) => lines.push(`trace ${m}`);
  return { logger, lines };
}

describe('LogContext', () => {
  test('forwards each level to the logger', () => {
    const { logger, lines } = recordingLogger();
    const log = new LogContext(logger);
    log.error('e');
    log.warning('w');
    log.info('i');
    log.verbose('v');
    log.trace('t');
    assert.deepEqual(lines, ['error e', 'warning w', 'info i', 'verbose v', 'trace t']);
  });

  test('trace is optional on the logger', () => {
    const { logger, lines } = recordingLogger(false);
    new LogContext(logger).trace('t');
    assert.deepEqual(lines, []);
  });

  test('silent by default', () => {
    const log = new LogContext();
    assert.equal(log.logger, SILENT_LOGGER);
  });

  test('PII is hidden unless enabled', () => {
    assert.equal(new LogContext().pii('user@contoso.com'), '<pii>');
    assert.equal(new LogContext(SILENT_LOGGER, true).pii('user@contoso.com'), 'user@contoso.com');
    assert.equal(new LogContext().pii(undefined), '<none>');
    assert.equal(new LogContext(SILENT_LOGGER, true).pii(undefined), '<none>');
  });
});

describe('describeUrl', () => {
  test('keeps origin and path, never the query or fragment', () => {
    assert.equal(
      describeUrl('http://localhost:1234/callback?code=SECRET&state=s#frag'),
      'http://localhost:1234/callback',
    );
    assert.equal(describeUrl('https://user:pw@idp.example.com/token'), 'https://idp.example.com/token');
  });

  test('an unparseable URL is a placeholder', () => {
    assert.equal(describeUrl('not a url?code=SECRET'), '<unparseable url>');
  });
});
