/**
 * Walking the sign-in flows chosen for this environment (flows.ts), as VS Code's
 * microsoft-authentication extension does: the first flow is tried; when it fails, the person is
 * asked whether to try the next one. A cancel or an answer from the identity provider ends the
 * chain at once: another flow would reach the same person or the same server, and ask again for
 * nothing. Pure over the flows and the question asked, so the rule is pinned by a table-driven
 * test (test/unit/vscode/flow-chain.test.ts).
 */
import * as vscode from 'vscode';
import { AuthError, ServerError } from '../core/index.js';
import type { SignInFlow } from './flows.js';

/** The one question the chain asks. */
export interface FlowChainUi<F = SignInFlow> {
  /** After `failed` did not complete: whether to try `next`; false stops. */
  askTryAnotherWay(failed: F, next: F): Promise<boolean>;
}

export interface FlowChainResult<F, T> {
  /** The flow that completed. */
  flow: F;
  result: T;
}

/**
 * Runs `attempt` for each flow in turn until one completes. `onFailure` hears every failed
 * attempt (for the log). Rejects with `vscode.CancellationError` after a cancel (VS Code's word
 * for it), else with the last failure; with no flow at all, with `not_supported`.
 */
export async function runFlowChain<F, T>(
  flows: readonly F[],
  ui: FlowChainUi<F>,
  attempt: (flow: F) => Promise<T>,
  onFailure?: (flow: F, err: unknown) => void,
): Promise<FlowChainResult<F, T>> {
  let lastError: unknown;
  for (const [index, flow] of flows.entries()) {
    try {
      return { flow, result: await attempt(flow) };
    } catch (err) {
      lastError = err;
      onFailure?.(flow, err);
      const next = flows[index + 1];
      if (endsTheChain(err) || !next) break;
      if (!(await ui.askTryAnotherWay(flow, next))) break;
    }
  }
  if (isCancellation(lastError)) throw new vscode.CancellationError();
  throw lastError ?? new AuthError('not_supported', 'no sign-in flow is available here');
}

/** A cancel, or an answer of the identity provider: no other flow is offered. */
function endsTheChain(err: unknown): boolean {
  return isCancellation(err) || err instanceof ServerError;
}

/** The person cancelled: the editor's cancel, or the core's (a closed dialog, an aborted wait). */
export function isCancellation(err: unknown): boolean {
  return err instanceof vscode.CancellationError || (err instanceof AuthError && err.code === 'cancelled');
}
