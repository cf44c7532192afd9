/**
 * The consumer fixture (test/editor/fixtures/consumer-extension) as an installable package: the
 * editor loads only the extensions its extensions.json lists, which `--install-extension` keeps,
 * so a folder copied next to them would never activate.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../harness.js';
import { CONSUMER_FIXTURE } from '../sign-in-fixture.js';

/** Packages the fixture with vsce into `outDir`; returns the .vsix path (under a second). */
export function packageConsumerFixture(outDir: string): string {
  const vsix = join(outDir, 'consumer-fixture.vsix');
  execFileSync(
    join(repoRoot, 'node_modules', '.bin', 'vsce'),
    ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', vsix],
    { cwd: CONSUMER_FIXTURE, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return vsix;
}
