/**
 * The sign-in flow chain, table-driven: a flow that completes ends it; a cancel or an answer of
 * the identity provider stops it without asking; any other failure offers the next flow, and the
 * person's "no" stops it; when nothing completes, the last failure is what the caller gets.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../support/vscode/register.js';
import { AuthError, ServerError } from '../../../src/core/index.js';

const { runFlowChain } = await import('../../../src/vscode/flow-chain.js');
const vscode = await import('vscode');

/** What a flow does when tried: completes, or throws one of these. */
type Outcome = 'completes' | 'server error' | 'core cancel' | 'editor cancel' | 'network error' | 'port in use';

function failure(outcome: Exclude<Outcome, 'completes'>): Error {
  switch (outcome) {
    case 'server error':
      return new ServerError({ error: 'access_denied' });
    case 'core cancel':
      return new AuthError('cancelled', 'the browser was not opened');
    case 'editor cancel':
      return new vscode.CancellationError();
    case 'network error':
      return new AuthError('network_error', 'connect ECONNREFUSED');
    case 'port in use':
      return new Error('EADDRINUSE');
  }
}

interface Row {
  name: string;
  /** One outcome per flow, in the chain's order. */
  flows: Outcome[];
  /** The person's answers to "try another way?", in order. */
  answers?: boolean[];
  /** The flows tried, by index. */
  tried: number[];
  /** The questions asked, as `failed→next`. */
  asked: string[];
  /** The flow that completed, or what the chain rejects with. */
  expect: { completed: number } | { rejects: 'cancel' | Exclude<Outcome, 'completes' | 'core cancel' | 'editor cancel'> | 'not_supported' };
}

const TABLE: Row[] = [
  { name: 'the first flow completes: nothing else is tried or asked', flows: ['completes', 'completes'], tried: [0], asked: [], expect: { completed: 0 } },
  { name: 'a server error stops the chain without asking', flows: ['server error', 'completes'], tried: [0], asked: [], expect: { rejects: 'server error' } },
  { name: "the core's cancel stops the chain, as VS Code's cancel", flows: ['core cancel', 'completes'], tried: [0], asked: [], expect: { rejects: 'cancel' } },
  { name: "the editor's cancel stops the chain", flows: ['editor cancel', 'completes'], tried: [0], asked: [], expect: { rejects: 'cancel' } },
  { name: 'another failure offers the next flow; yes tries it', flows: ['network error', 'completes'], answers: [true], tried: [0, 1], asked: ['0→1'], expect: { completed: 1 } },
  { name: 'another failure offers the next flow; no stops with that failure', flows: ['network error', 'completes'], answers: [false], tried: [0], asked: ['0→1'], expect: { rejects: 'network error' } },
  {
    name: 'each failure offers the next; a server error later still stops',
    flows: ['port in use', 'network error', 'server error', 'completes'],
    answers: [true, true],
    tried: [0, 1, 2],
    asked: ['0→1', '1→2'],
    expect: { rejects: 'server error' },
  },
  { name: 'the last flow failing rethrows its failure, with no question', flows: ['port in use', 'network error'], answers: [true], tried: [0, 1], asked: ['0→1'], expect: { rejects: 'network error' } },
  { name: 'a single flow failing rethrows at once', flows: ['port in use'], tried: [0], asked: [], expect: { rejects: 'port in use' } },
  { name: 'a cancel in a later flow stops as a cancel', flows: ['network error', 'core cancel', 'completes'], answers: [true], tried: [0, 1], asked: ['0→1'], expect: { rejects: 'cancel' } },
  { name: 'no flow at all: not_supported', flows: [], tried: [], asked: [], expect: { rejects: 'not_supported' } },
];

describe('runFlowChain', () => {
  for (const row of TABLE) {
    test(row.name, async () => {
      const flows = row.flows.map((outcome, index) => ({ index, outcome }));
      const thrown = new Map(flows.map((flow) => [flow.index, flow.outcome === 'completes' ? undefined : failure(flow.outcome)]));
      const tried: number[] = [];
      const asked: string[] = [];
      const failures: [number, unknown][] = [];
      const answers = [...(row.answers ?? [])];
      const chain = runFlowChain(
        flows,
        {
          askTryAnotherWay: async (failed, next) => {
            asked.push(`${failed.index}→${next.index}`);
            const answer = answers.shift();
            assert.notEqual(answer, undefined, `an unexpected question: ${failed.index}→${next.index}`);
            return answer!;
          },
        },
        async (flow) => {
          tried.push(flow.index);
          const error = thrown.get(flow.index);
          if (error) throw error;
          return `result of ${flow.index}`;
        },
        (flow, err) => failures.push([flow.index, err]),
      );
      if ('completed' in row.expect) {
        const { flow, result } = await chain;
        assert.equal(flow.index, row.expect.completed);
        assert.equal(result, `result of ${row.expect.completed}`);
      } else if (row.expect.rejects === 'cancel') {
        await assert.rejects(chain, (err: unknown) => err instanceof vscode.CancellationError, 'a cancel is told to VS Code as its CancellationError');
      } else if (row.expect.rejects === 'not_supported') {
        await assert.rejects(chain, (err: unknown) => err instanceof AuthError && err.code === 'not_supported');
      } else {
        const rejection = await chain.then(
          () => assert.fail('the chain completed'),
          (err: unknown) => err,
        );
        const lastTried = tried.at(-1)!;
        assert.equal(rejection, thrown.get(lastTried), 'the failure of the last flow tried');
        assert.equal(flows[lastTried]!.outcome, row.expect.rejects);
      }
      assert.deepEqual(tried, row.tried, 'flows tried');
      assert.deepEqual(asked, row.asked, 'questions asked');
      assert.deepEqual(answers, [], 'every answer was used');
      assert.deepEqual(
        failures.map(([index]) => index),
        tried.filter((index) => thrown.get(index) !== undefined),
        'every failed attempt is heard',
      );
    });
  }
});
