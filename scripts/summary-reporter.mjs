// A node:test reporter that prints only the closing line CI reads: "N passed, N failed".
// Suites are not counted, only the tests inside them; a suite-level failure (a hook that threw)
// counts as a failed test so that it can never hide.
export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { details, skip, todo } = event.data;
    const isSuite = details?.type === 'suite';
    if (event.type === 'test:fail') {
      if (!isSuite || details?.error?.failureType !== 'subtestsFailed') failed += 1;
    } else if (!isSuite) {
      if (skip || todo) skipped += 1;
      else passed += 1;
    }
  }
  yield `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
