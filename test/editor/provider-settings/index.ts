// Extension-test module of the provider-settings suite (test/editor/provider-settings.test.ts):
// loaded by the editor in its real extension host; runs every *.ext-test.js of this folder.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMochaSuite } from '../mocha-suite.js';

export function run(): Promise<void> {
  return runMochaSuite(dirname(fileURLToPath(import.meta.url)), { timeoutMs: 60_000 });
}
