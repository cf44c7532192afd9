/**
 * The error of a loopback listener whose port is taken, in a file of its own without `node:*`:
 * the user-facing messages (src/vscode/user-errors.ts) name it, and the browser build, which has
 * no listener, shares those messages.
 */
import { AuthError } from '../core/index.js';

/**
 * The port of the listener is taken (`EADDRINUSE`): another program, or another sign-in, listens
 * there. A `network_error` like every failure to bind, with the port and address for a message
 * that names them (a fixed port comes from a setting the user can change).
 */
export class LoopbackPortInUseError extends AuthError {
  override readonly name = 'LoopbackPortInUseError';
  constructor(
    readonly port: number,
    readonly address: string,
    options?: { cause?: unknown },
  ) {
    super('network_error', `port ${port} on ${address} is in use`, options);
  }
}
