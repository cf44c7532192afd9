/**
 * `npm run bench`: our core and @azure/msal-node on the same work, against the same local
 * oidc-provider served over https (msal-node accepts nothing else) with a certificate made for
 * this run. Every measurement runs in a child process of its own (worker.ts) with the certificate
 * in NODE_EXTRA_CA_CERTS, so the libraries never share a heap, and a slow figure can be stopped at
 * its time budget and reported as "did not finish". Prints a table and writes bench/results.json.
 *
 * The bench reports; it does not fail on a missed target. It exits non-zero only when it could
 * not measure (an error in a child, a library that did not find the cached token, ...).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createNodeHttpClient } from '../src/node/http-client.js';
import { LIBRARY_VERSION } from '../src/core/token-client.js';
import { DEMO_API_SCOPES, type Idp, PUBLIC_CLIENT_ID, startIdp, TENANT_ID } from '../test/idp/server.js';
import { makeSelfSignedCertificate } from '../test/support/servers.js';
import { type JobOutcome, killAllChildren, runJob, type RequestWindow } from './children.js';
import type { BenchContext, LibraryName } from './context.js';
import type { Job } from './protocol.js';
import { type Cell, ratioOf, renderTable, type Row } from './report.js';
import { formatBytes, formatMs, type LoopPlan, median } from './stats.js';
import { makeSyntheticCache } from './synthetic-cache.js';

const BENCH_DIR = fileURLToPath(new URL('../../bench/', import.meta.url));
const TMP_DIR = `${BENCH_DIR}tmp/`;
const RESULTS_FILE = `${BENCH_DIR}results.json`;
const LOAD_PROBE = fileURLToPath(new URL('./load-probe.js', import.meta.url));
const CORE_ENTRY = fileURLToPath(new URL('../src/core/index.js', import.meta.url));

const LIBRARIES = ['ours', 'msal-node'] as const satisfies readonly LibraryName[];
type Library = (typeof LIBRARIES)[number];

/** Account counts of the synthetic caches. */
const SILENT_SIZES = [1, 100, 1_000, 10_000];
const LIST_SIZES = [1_000, 10_000];
const MEMORY_SIZE = 10_000;

/**
 * Iteration caps and time budgets. A loop stops at `maxIterations` or once `budgetMs` of sampling
 * is spent (after `minIterations`); `killMs` is the child's whole budget, after which it is killed
 * and the figure reported as not finished.
 */
const PLANS = {
  silent: {
    ours: { warmup: 500, maxIterations: 20_000, minIterations: 1_000, budgetMs: 2_000 },
    'msal-node': { warmup: 5, maxIterations: 2_000, minIterations: 20, budgetMs: 4_000 },
  },
  firstHitLoads: 5,
  getAccounts: {
    ours: { warmup: 5, maxIterations: 1_000, minIterations: 20, budgetMs: 3_000 },
    'msal-node': { warmup: 0, maxIterations: 5, minIterations: 1, budgetMs: 15_000 },
  },
  roundTrip: { warmup: 2, maxIterations: 50, minIterations: 7, budgetMs: 4_000 },
  killMs: { silent: 120_000, getAccounts: 60_000, roundTrip: 120_000, requests: 120_000, device: 60_000, memory: 120_000 },
  deviceWindowMs: 10_000,
  concurrency: [10, 100],
  /** Fresh `node` processes per library for the load time (after one discarded warm-up each). */
  loadRuns: 30,
} satisfies Record<string, unknown>;

const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `node out/bench/run.js 4 5` runs figures 4 and 5 only (for working on them); such a partial run
 * prints its table but leaves bench/results.json alone.
 */
const ONLY = process.argv.slice(2);
const wanted = (figure: string) => ONLY.length === 0 || ONLY.includes(figure);

function cellFromSamples(outcome: JobOutcome, budgetMs: number): Cell {
  if (outcome.status === 'error') return { status: 'error', text: 'error' };
  if (outcome.status === 'dnf') {
    const budget = formatMs(budgetMs);
    return outcome.samples.length > 0
      ? { status: 'dnf', value: median(outcome.samples), n: outcome.samples.length, text: `${formatMs(median(outcome.samples))} (n=${outcome.samples.length}, stopped at ${budget})` }
      : { status: 'dnf', value: budgetMs, text: `> ${budget}, did not finish` };
  }
  const value = median(outcome.samples);
  return { status: 'ok', value, n: outcome.samples.length, text: `${formatMs(value)} (n=${outcome.samples.length})` };
}

function countCell(value: number, text = String(value)): Cell {
  return { status: 'ok', value, text };
}

/** Fails the run on a child error: a figure that could not be measured is not a result. */
function requireOk(outcome: JobOutcome, what: string): JobOutcome {
  if (outcome.status === 'error') throw new Error(`${what}: ${outcome.error}`);
  return outcome;
}

/** What an IdP request of the Entra face was for; undefined for the browser's pages and the other face. */
function classifyAppRequest(method: string, path: string): string | undefined {
  if (!path.startsWith(`/${TENANT_ID}/`)) return undefined;
  if (path.endsWith('/discovery/instance')) return 'instance discovery';
  if (path.endsWith('/.well-known/openid-configuration')) return 'discovery';
  if (path.endsWith('/discovery/v2.0/keys')) return 'jwks';
  if (method === 'POST' && path.endsWith('/oauth2/v2.0/token')) return 'token';
  return undefined; // authorize, login and consent pages: the headless browser's, not the app's
}

function countWindow(window: RequestWindow | undefined): { total: number; byKind: Record<string, number> } {
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const request of window?.requests ?? []) {
    const kind = classifyAppRequest(request.method, request.path);
    if (!kind) continue;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    total++;
  }
  return { total, byKind };
}

function describeKinds(byKind: Record<string, number>): string {
  const order = ['instance discovery', 'discovery', 'jwks', 'token'];
  return order.filter((kind) => byKind[kind]).map((kind) => `${kind} ${byKind[kind]}`).join(', ') || 'none';
}

async function main(): Promise<void> {
  const runStarted = Date.now();
  // Other work on the machine moves wall-clock medians: the load average is printed and kept.
  const loadAtStart = loadavg();
  log(`Load average at start: ${loadAtStart.map((n) => n.toFixed(2)).join(', ')} (${cpus().length} CPUs)`);
  mkdirSync(TMP_DIR, { recursive: true });
  const certificate = makeSelfSignedCertificate();
  const caFile = `${TMP_DIR}ca.pem`;
  writeFileSync(caFile, certificate.cert);
  const idp: Idp = await startIdp({ https: certificate });
  // Figure 1c: a second IdP whose generic face is at the host root (issuer https://127.0.0.1:PORT2).
  const rootIdp: Idp | undefined = wanted('1') || wanted('1c') ? await startIdp({ https: certificate, oidcPath: '' }) : undefined;
  const closeIdps = () => Promise.all([idp.close(), rootIdp?.close()]);
  const onSignal = () => {
    killAllChildren();
    void closeIdps().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const rows: Row[] = [];
    const details: Record<string, unknown> = {};
    const origin = idp.urls.origin;
    const host = new URL(origin).host;
    const entraAuthority = idp.urls.entraAuthority();
    const http = createNodeHttpClient({ verify: certificate.cert });
    const openidConfiguration = await (await http(`${entraAuthority}/v2.0/.well-known/openid-configuration`, { method: 'GET', headers: {} })).text();
    await http.close();

    const syntheticNow = Math.floor(Date.now() / 1000);
    const cacheFiles: Record<string, string> = {};
    for (const accounts of [...new Set([...SILENT_SIZES, ...LIST_SIZES, MEMORY_SIZE])]) {
      const file = `${TMP_DIR}cache-${accounts}.json`;
      writeFileSync(
        file,
        makeSyntheticCache(accounts, {
          environment: host,
          tenantId: TENANT_ID,
          clientId: PUBLIC_CLIENT_ID,
          issuer: idp.urls.entraIssuer,
          target: DEMO_API_SCOPES.read,
          now: syntheticNow,
        }),
      );
      cacheFiles[accounts] = file;
    }
    const context: BenchContext = {
      origin,
      host,
      tenantId: TENANT_ID,
      clientId: PUBLIC_CLIENT_ID,
      entraAuthority,
      oidcIssuer: idp.urls.oidcIssuer,
      ...(rootIdp ? { rootIssuer: rootIdp.urls.oidcIssuer } : {}),
      caFile,
      openidConfiguration,
      scope: DEMO_API_SCOPES.read,
      cacheFiles,
      syntheticNow,
    };
    const cacheBytes = (accounts: number) => readFileSync(cacheFiles[accounts]!).byteLength;
    log(`IdP at ${origin}; synthetic caches: ${SILENT_SIZES.map((n) => `${n.toLocaleString('en-US')} accounts = ${formatBytes(cacheBytes(n))}`).join(', ')}`);

    /** Runs one child; `requests` is what `server` (default: the main IdP) served meanwhile (from every client when jobs overlap). */
    const job = async (description: string, spec: Job, killMs: number, nodeArgs?: string[], server: Idp = idp) => {
      const before = server.requests.length;
      const outcome = requireOk(await runJob(context, server, spec, { budgetMs: killMs, nodeArgs }), description);
      const requests = server.requests.length - before;
      const samples = outcome.samples.length > 0 ? `${outcome.samples.length} samples, ` : '';
      log(`  ${description}: ${outcome.status}, ${samples}${(outcome.wallMs / 1000).toFixed(1)} s`);
      return { outcome, requests };
    };

    // ---------------------------------------------------------------- 1. silent cache hit
    const silentDetails: Record<string, unknown> = {};
    if (wanted('1')) log('1. silent cache hit');
    for (const accounts of wanted('1') ? SILENT_SIZES : []) {
      const cells = {} as Record<Library, Cell>;
      const firstHits = {} as Record<Library, Cell>;
      const requestsMade = {} as Record<Library, number>;
      for (const library of LIBRARIES) {
        const plan: LoopPlan = PLANS.silent[library];
        const { outcome, requests } = await job(
          `${accounts} accounts, ${library}`,
          { figure: 'silent', library, accounts, plan, firstHitLoads: PLANS.firstHitLoads },
          PLANS.killMs.silent,
        );
        cells[library] = cellFromSamples(outcome, PLANS.killMs.silent);
        const hits = (outcome.data?.['firstHits'] as number[] | undefined) ?? [];
        firstHits[library] = hits.length ? { status: 'ok', value: median(hits), n: hits.length, text: `${formatMs(median(hits))} (n=${hits.length})` } : { status: 'error', text: '—' };
        requestsMade[library] = requests;
      }
      silentDetails[accounts] = { firstHitAfterLoad: firstHits, idpRequestsPerChild: requestsMade };
      rows.push({
        figure: '1 silent cache hit',
        size: `${accounts.toLocaleString('en-US')} account${accounts === 1 ? '' : 's'}`,
        unit: 'ms',
        ours: cells.ours,
        msalNode: cells['msal-node'],
        ratio: ratioOf(cells.ours, cells['msal-node']),
        target: 'ours < 20 µs',
        met: cells.ours.status === 'ok' && cells.ours.value! < 0.02,
        note:
          accounts === SILENT_SIZES[0]
            ? `acquireTokenSilent for an account named by hand (no account listing), cycling over up to 64 accounts spread through the cache; every call checked to come from the cache (ours: tokenSource 'cache'; msal-node: fromCache). IdP requests per child: ours ${requestsMade.ours} (its discovery, before timing), msal-node ${requestsMade['msal-node']} (authorityMetadata + cloudDiscoveryMetadata given).`
            : undefined,
      });
      if (accounts === SILENT_SIZES[SILENT_SIZES.length - 1]) {
        rows.push({
          figure: '1b first silent hit after loading the cache',
          size: `${accounts.toLocaleString('en-US')} accounts`,
          unit: 'ms',
          ours: firstHits.ours,
          msalNode: firstHits['msal-node'],
          ratio: ratioOf(firstHits.ours, firstHits['msal-node']),
          target: '—',
          met: null,
          note: `The first acquireTokenSilent after each deserialize (${PLANS.firstHitLoads} loads): ours builds its access-token and ID-token indexes here, in one pass. Every size is in results.json.`,
        });
      }
    }
    details['silent'] = silentDetails;

    // ---------------------------------------------------------------- 1c. silent hit, root issuer
    if (rootIdp && (wanted('1') || wanted('1c'))) {
      log('1c. silent cache hit at a generic issuer at the host root');
      const cells = {} as Record<Library, Cell>;
      const timedRequests = {} as Record<Library, string[]>;
      for (const library of LIBRARIES) {
        const { outcome } = await job(`root issuer, ${library}`, { figure: 'rootSilent', library, plan: PLANS.silent[library] }, PLANS.killMs.silent, undefined, rootIdp);
        cells[library] = cellFromSamples(outcome, PLANS.killMs.silent);
        timedRequests[library] = (outcome.windows.find((w) => w.label === 'silent hits')?.requests ?? []).map((r) => `${r.method} ${r.path}`);
      }
      details['rootIssuerSilent'] = { issuer: rootIdp.urls.oidcIssuer, idpRequestsWhileTimed: timedRequests };
      const counted = (library: Library) => `${timedRequests[library].length}${timedRequests[library].length ? ` (${[...new Set(timedRequests[library])].join(', ')})` : ''}`;
      rows.push({
        figure: '1c silent cache hit, generic issuer at the host root',
        size: '1 account (signed in)',
        unit: 'ms',
        ours: cells.ours,
        msalNode: cells['msal-node'],
        ratio: ratioOf(cells.ours, cells['msal-node']),
        target: 'ours < 20 µs, 0 requests',
        met: cells.ours.status === 'ok' && cells.ours.value! < 0.02 && timedRequests.ours.length === 0,
        note: `A second IdP with its generic face at the host root (issuer ${new URL(rootIdp.urls.oidcIssuer).origin}, no path: the shape with no path to take a cache realm from). Each library signs alice in (auth code + PKCE, headless browser), takes the account from its own account listing, then times acquireTokenSilent, every call checked to come from the cache. Ours: oidcAuthority; msal-node: protocolMode OIDC + knownAuthorities. IdP requests while timed: ours ${counted('ours')}, msal-node ${counted('msal-node')}.`,
      });
    }

    // ---------------------------------------------------------------- 2. getAccounts
    if (wanted('2')) log('2. getAccounts()');
    for (const accounts of wanted('2') ? LIST_SIZES : []) {
      const cells = {} as Record<Library, Cell>;
      for (const library of LIBRARIES) {
        const { outcome } = await job(`${accounts} accounts, ${library}`, { figure: 'getAccounts', library, accounts, plan: PLANS.getAccounts[library] }, PLANS.killMs.getAccounts);
        cells[library] = cellFromSamples(outcome, PLANS.killMs.getAccounts);
      }
      const limitMs = accounts <= 1_000 ? 1 : 10;
      rows.push({
        figure: '2 getAccounts()',
        size: `${accounts.toLocaleString('en-US')} accounts`,
        unit: 'ms',
        ours: cells.ours,
        msalNode: cells['msal-node'],
        ratio: ratioOf(cells.ours, cells['msal-node']),
        target: `ours < ${limitMs} ms`,
        met: cells.ours.status === 'ok' && cells.ours.value! < limitMs,
        note:
          accounts === LIST_SIZES[LIST_SIZES.length - 1]
            ? `msal-node's getAllAccounts() ran in a child killed after ${formatMs(PLANS.killMs.getAccounts)}; "did not finish" means not one call returned by then.`
            : undefined,
      });
    }

    // ---------------------------------------------------------------- 3. deserialize + serialize
    if (wanted('3')) log('3. deserialize + serialize');
    for (const accounts of wanted('3') ? LIST_SIZES : []) {
      const cells = {} as Record<Library, Cell>;
      const overJson = {} as Record<Library, number>;
      let baseline: Cell | undefined;
      for (const library of LIBRARIES) {
        const { outcome } = await job(`${accounts} accounts, ${library}`, { figure: 'roundTrip', library, accounts, plan: PLANS.roundTrip }, PLANS.killMs.roundTrip);
        cells[library] = cellFromSamples(outcome, PLANS.killMs.roundTrip);
        const json = median(outcome.data!['baselineSamples'] as number[]);
        overJson[library] = cells[library].value! / json;
        // The baseline printed is the one timed beside ours.
        if (library === 'ours') baseline = { status: 'ok', value: json, n: (outcome.data!['baselineSamples'] as number[]).length, text: formatMs(json) };
      }
      rows.push({
        figure: '3 deserialize + serialize',
        size: `${accounts.toLocaleString('en-US')} accounts (${formatBytes(cacheBytes(accounts))})`,
        unit: 'ms',
        ours: cells.ours,
        msalNode: cells['msal-node'],
        ratio: ratioOf(cells.ours, cells['msal-node']),
        target: `≤ 1.5× JSON (${baseline!.text})`,
        met: cells.ours.status === 'ok' && overJson.ours <= 1.5,
        note: `Bare JSON.parse + JSON.stringify of the same bytes, timed call by call alternating with each library in its child: ${baseline!.text} beside ours (n=${baseline!.n}); ours takes ${overJson.ours.toFixed(2)}× that, msal-node ${overJson['msal-node'].toFixed(2)}× its own baseline.`,
      });
      details[`roundTrip-${accounts}`] = { cells, baselineBesideOurs: baseline, overJson };
    }

    // ---------------------------------------------------------------- 4 and 5, side by side
    if (wanted('4') || wanted('5')) {
      // Figure 4 counts Entra-face requests between marks; figure 5 polls the generic face. The two
      // never share a path, so they run at the same time; figure 4's two libraries run one after the
      // other, because their requests go to the same paths.
      log('4. HTTP requests at the IdP, and 5. device-code polling (in parallel)');
      const devicePolls = Promise.all(
        LIBRARIES.map((library) => job(`device flow, ${library}`, { figure: 'device', library, windowMs: PLANS.deviceWindowMs }, PLANS.killMs.device)),
      );
      devicePolls.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      const requestOutcomes = {} as Record<Library, JobOutcome>;
      for (const library of LIBRARIES) {
        requestOutcomes[library] = (await job(`sign-in scenarios, ${library}`, { figure: 'requests', library, concurrency: PLANS.concurrency }, PLANS.killMs.requests)).outcome;
      }
      const deviceOutcomes = await devicePolls;

      const scenarios: { label: string; target: number; note?: string }[] = [
        {
          label: 'first sign-in',
          target: 2,
          note: 'Auth-code + PKCE through a headless browser; only the app\'s requests are counted (its pages are the browser\'s). Both are told to trust the host (ours validateAuthority: false, msal-node knownAuthorities), so neither sends instance discovery; with validation on, ours adds one instance discovery request. Ours verifies the ID token\'s signature, so it fetches the JWKS; msal-node does not verify it.',
        },
        { label: 'sign-in after restart', target: 1, note: 'A new app given what the first one saved: its serialized token cache, and for ours the httpCache (discovery and JWKS). msal-node has no httpCache: it fetches discovery again.' },
        { label: 'one refresh', target: 1 },
        ...PLANS.concurrency.map((n) => ({ label: `${n} concurrent silent`, target: 1 })),
      ];
      const requestDetails: Record<string, unknown> = {};
      for (const scenario of scenarios) {
        const counts = {} as Record<Library, ReturnType<typeof countWindow>>;
        for (const library of LIBRARIES) counts[library] = countWindow(requestOutcomes[library].windows.find((w) => w.label === scenario.label));
        const outcomeOf = (library: Library) => requestOutcomes[library].data?.['outcomes'] as Record<string, { succeeded: number; failed: string[] } | string> | undefined;
        const concurrent = scenario.label.endsWith('concurrent silent');
        const succeeded = (library: Library) => {
          const o = outcomeOf(library)?.[scenario.label];
          return typeof o === 'object' ? `${o.succeeded}/${o.succeeded + o.failed.length} calls got a token${o.failed.length ? ` (${[...new Set(o.failed)].join(', ')})` : ''}` : '';
        };
        requestDetails[scenario.label] = { ours: counts.ours, msalNode: counts['msal-node'], outcomes: { ours: outcomeOf('ours')?.[scenario.label], msalNode: outcomeOf('msal-node')?.[scenario.label] } };
        const paths = `ours: ${describeKinds(counts.ours.byKind)}; msal-node: ${describeKinds(counts['msal-node'].byKind)}.`;
        rows.push({
          figure: `4 requests: ${concurrent ? `${scenario.label.split(' ')[0]} concurrent silent calls needing one refresh` : scenario.label}`,
          size: '—',
          unit: 'requests',
          ours: countCell(counts.ours.total),
          msalNode: countCell(counts['msal-node'].total),
          ratio: ratioOf(countCell(counts.ours.total), countCell(counts['msal-node'].total)),
          target: `≤ ${scenario.target}`,
          met: counts.ours.total <= scenario.target,
          note: [scenario.note, paths, concurrent ? `Access tokens expired by hand first. ours: ${succeeded('ours')}; msal-node: ${succeeded('msal-node')}.` : ''].filter(Boolean).join(' '),
        });
      }
      details['requests'] = requestDetails;

      const deviceDetails: Record<string, unknown> = {};
      const deviceCells = {} as Record<Library, Cell>;
      LIBRARIES.forEach((library, i) => {
        const data = deviceOutcomes[i]!.outcome.data as { startedAt: number; polls: number[]; intervalUsed?: number };
        const inWindow = data.polls.filter((t) => t >= data.startedAt && t <= data.startedAt + PLANS.deviceWindowMs).length;
        deviceCells[library] = countCell(inWindow);
        deviceDetails[library] = { pollsInWindow: inWindow, pollsSent: data.polls.length, intervalUsed: data.intervalUsed ?? null, firstPollAfterMs: data.polls.length ? data.polls[0]! - data.startedAt : null };
      });
      const idpPolls = idp.requests.filter((r) => r.method === 'POST' && r.path === '/oidc/token').length;
      deviceDetails['idpTokenRequestsOnGenericFace'] = idpPolls;
      details['device'] = deviceDetails;
      rows.push({
        figure: '5 device-code polls, server sends no interval',
        size: 'per 10 s',
        unit: 'polls',
        ours: deviceCells.ours,
        msalNode: deviceCells['msal-node'],
        ratio: ratioOf(deviceCells.ours, deviceCells['msal-node']),
        target: '≤ 2',
        met: deviceCells.ours.value! <= 2,
        note: `A real ${PLANS.deviceWindowMs / 1000} s window from the device authorization response of the generic face (no interval in it), both libraries at once. Ours waits the RFC 8628 default of 5 s before each poll; msal-node waits interval × 1000 = NaN ms, which setTimeout treats as 1 ms. Polls counted by each library's network layer; the IdP saw ${idpPolls} token requests on that face in all, ours + msal-node = ${(deviceDetails.ours as { pollsSent: number }).pollsSent + (deviceDetails['msal-node'] as { pollsSent: number }).pollsSent}.`,
      });
    }

    // ---------------------------------------------------------------- 6. module load
    if (wanted('6')) {
      log('6. module load time and bytes of code loaded');
      const targets: Record<Library, string> = { ours: CORE_ENTRY, 'msal-node': '@azure/msal-node' };
      const probe = (target: string, ...args: string[]) => JSON.parse(execFileSync(process.execPath, [LOAD_PROBE, target, ...args], { encoding: 'utf8', timeout: 30_000 })) as Record<string, unknown>;
      const loadTimes: Record<Library, number[]> = { ours: [], 'msal-node': [] };
      for (const library of LIBRARIES) probe(targets[library]); // warm the file system cache
      for (let i = 0; i < PLANS.loadRuns; i++) {
        // Interleaved, so that a burst of load on the machine hits both alike.
        for (const library of LIBRARIES) loadTimes[library].push(probe(targets[library])['ms'] as number);
      }
      const loadCells = {} as Record<Library, Cell>;
      const byteCells = {} as Record<Library, Cell>;
      const byteDetails: Record<string, unknown> = {};
      for (const library of LIBRARIES) {
        const value = median(loadTimes[library]);
        loadCells[library] = { status: 'ok', value, n: loadTimes[library].length, text: `${formatMs(value)} (n=${loadTimes[library].length})` };
        const counted = probe(targets[library], '--bytes') as { files: number; bytes: number; list: string[] };
        byteCells[library] = { status: 'ok', value: counted.bytes, text: `${formatBytes(counted.bytes)} (${counted.files} files)` };
        byteDetails[library] = { files: counted.files, bytes: counted.bytes, list: counted.list.map((file) => file.replace(`${fileURLToPath(new URL('../../', import.meta.url))}`, '')) };
      }
      details['load'] = { times: loadTimes, bytes: byteDetails };
      const loadRatio = ratioOf(loadCells.ours, loadCells['msal-node']);
      rows.push({
        figure: '6 module load time',
        size: 'fresh node',
        unit: 'ms',
        ours: loadCells.ours,
        msalNode: loadCells['msal-node'],
        ratio: loadRatio,
        target: '≥ 3× faster',
        met: loadRatio !== undefined && loadRatio >= 3,
        note: `import() of out/src/core/index.js vs '@azure/msal-node' in a fresh node process each (Node's own start-up left out), ${PLANS.loadRuns} runs each, interleaved.`,
      });
      rows.push({
        figure: '6 bytes of code loaded',
        size: '—',
        unit: 'bytes',
        ours: byteCells.ours,
        msalNode: byteCells['msal-node'],
        ratio: ratioOf(byteCells.ours, byteCells['msal-node']),
        target: '—',
        met: null,
        note: 'Sizes of the files each import loads: ESM files seen by a loader hook, CommonJS ones from require.cache (ours: the core and jose; msal-node: its entry, msal-common, jsonwebtoken and its dependencies). The list is in results.json.',
      });
    }

    // ---------------------------------------------------------------- 7. memory
    if (wanted('7')) {
      log('7. heap used holding a 10,000-account cache');
      const memory = {} as Record<Library, Record<string, number | boolean>>;
      for (const library of LIBRARIES) {
        const { outcome } = await job(`memory, ${library}`, { figure: 'memory', library, accounts: MEMORY_SIZE }, PLANS.killMs.memory, ['--expose-gc']);
        memory[library] = outcome.data as Record<string, number | boolean>;
      }
      details['memory'] = memory;
      const mib = (value: number) => ({ status: 'ok' as const, value, text: `${value.toFixed(1)} MiB` });
      rows.push({
        figure: '7 heap used holding the cache (after GC)',
        size: `${MEMORY_SIZE.toLocaleString('en-US')} accounts`,
        unit: 'MiB',
        ours: mib(memory.ours['holdingMb'] as number),
        msalNode: mib(memory['msal-node']['holdingMb'] as number),
        ratio: ratioOf(mib(memory.ours['holdingMb'] as number), mib(memory['msal-node']['holdingMb'] as number)),
        target: '—',
        met: null,
        note: `Heap used after deserializing the ${formatBytes(cacheBytes(MEMORY_SIZE))} cache, one silent hit (ours also getAccounts(), so every index of ours is built) and a full GC, the bench's copy of the JSON dropped. Of it, the cache: ours ${(memory.ours['cacheRetainedMb'] as number).toFixed(1)} MiB, msal-node ${(memory['msal-node']['cacheRetainedMb'] as number).toFixed(1)} MiB (msal-node also keeps the JSON text as its cache snapshot).`,
      });
      rows.push({
        figure: '7 peak heap used while loading it',
        size: `${MEMORY_SIZE.toLocaleString('en-US')} accounts`,
        unit: 'MiB',
        ours: mib(memory.ours['peakMb'] as number),
        msalNode: mib(memory['msal-node']['peakMb'] as number),
        ratio: ratioOf(mib(memory.ours['peakMb'] as number), mib(memory['msal-node']['peakMb'] as number)),
        target: '—',
        met: null,
        note: 'The highest heap used sampled after each step (JSON read, deserialize, first silent hit, listing), without GC in between; it includes the JSON text itself.',
      });
    }

    // ---------------------------------------------------------------- output
    const durationS = (Date.now() - runStarted) / 1000;
    log('');
    log(renderTable(rows));
    log('');
    log(`Iterations: silent hit ours ≤ ${PLANS.silent.ours.maxIterations} calls or ${PLANS.silent.ours.budgetMs / 1000} s after ${PLANS.silent.ours.warmup} warm-up calls, msal-node ≤ ${PLANS.silent['msal-node'].maxIterations} or ${PLANS.silent['msal-node'].budgetMs / 1000} s (n in each cell); getAccounts ours ≤ ${PLANS.getAccounts.ours.maxIterations} or ${PLANS.getAccounts.ours.budgetMs / 1000} s, msal-node ≤ ${PLANS.getAccounts['msal-node'].maxIterations} or ${PLANS.getAccounts['msal-node'].budgetMs / 1000} s, killed at ${PLANS.killMs.getAccounts / 1000} s; round trip ${PLANS.roundTrip.minIterations}–${PLANS.roundTrip.maxIterations} (${PLANS.roundTrip.budgetMs / 1000} s) after ${PLANS.roundTrip.warmup} warm-ups; load time ${PLANS.loadRuns} processes each.`);
    log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; @azure/msal-node ${msalNodeVersion()}; bench took ${durationS.toFixed(0)} s.`);
    const results = {
      command: 'npm run bench',
      generatedAt: new Date().toISOString(),
      durationS: Math.round(durationS),
      machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGiB: Math.round(totalmem() / 2 ** 30), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() },
      versions: { ours: LIBRARY_VERSION, msalNode: msalNodeVersion() },
      plans: PLANS,
      syntheticCacheBytes: Object.fromEntries(Object.keys(cacheFiles).map((n) => [n, cacheBytes(Number(n))])),
      rows,
      /** The table as Markdown, for the README's Performance section. */
      markdown: renderTable(rows, true),
      details,
    };
    if (ONLY.length === 0) {
      writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
      log(`Wrote ${RESULTS_FILE}`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    killAllChildren();
    await closeIdps();
    rmSync(TMP_DIR, { recursive: true, force: true });
  }
}

function msalNodeVersion(): string {
  const file = fileURLToPath(new URL('../../node_modules/@azure/msal-node/package.json', import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

main().catch((err: unknown) => {
  killAllChildren();
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
