/**
 * The extension's log: a `LogOutputChannel` behind the core's Logger interface. The core never
 * hands it token material; personal data only when the user turned `msalSignIn.logPii` on.
 */
import type * as vscode from 'vscode';
import type { Logger } from '../core/index.js';

export function loggerFor(channel: vscode.LogOutputChannel): Logger {
  return {
    error: (message) => channel.error(message),
    warning: (message) => channel.warn(message),
    info: (message) => channel.info(message),
    verbose: (message) => channel.debug(message),
    trace: (message) => channel.trace(message),
  };
}
