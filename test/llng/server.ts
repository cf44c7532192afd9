/**
 * LemonLDAP::NG for one test file: starts its FastCGI server (as www-data) and an nginx in front
 * of it on 127.0.0.1 only, from what scripts/llng/install.sh installed and configured, and stops
 * exactly those processes again, by pid, leaving no process, port, file or session behind.
 *
 * Requests are counted at the server, in nginx's access log (method, path without the query,
 * status). nginx writes a line when it has answered, so a count taken right after a client got its
 * answer could miss a line still being written: {@link Llng.requestsSince} first sends a marker
 * request and waits for its line. nginx runs one worker, so every request answered before the
 * marker is logged before it.
 *
 * Not installed is a failure, never a skip: npm test runs after .ci/run installed it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const INSTALL_HINT = 'run `bash scripts/llng/install.sh` as root first (.ci/run does it before npm test)';
const NGINX = '/usr/sbin/nginx';
/** LL::NG's session store (Apache::Session::File): sessions the tests open are removed on close. */
const SESSION_DIRS = ['/var/lib/lemonldap-ng/sessions', '/var/lib/lemonldap-ng/psessions'];
/** Bounds: the portal compiles itself on its first request, which takes a few seconds. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const MARK_PATH = '/.test-mark';

/** The Demo backend's users (password = login), as its userinfo endpoint describes them. */
export const LLNG_USERS = {
  dwho: { login: 'dwho', password: 'dwho', name: 'Doctor Who', email: 'dwho@badwolf.org' },
  rtyler: { login: 'rtyler', password: 'rtyler', name: 'Rose Tyler', email: 'rtyler@badwolf.org' },
} as const;
export type LlngUserName = keyof typeof LLNG_USERS;

/** What install.sh wrote to <cache>/paths.json. */
interface LlngPaths {
  issuer: string;
  port: number;
  clientId: string;
  redirectUris: string;
  caFile: string;
  tlsDir: string;
  nginxTemplate: string;
  fastcgiServer: string;
  cli: string;
  rotateOidcKeys: string;
}

/** One request nginx answered. */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
}

export interface Llng {
  /** `https://localhost:19443/`: the portal, a root issuer (with its trailing slash). */
  issuer: string;
  /** The relying party's client id (public, PKCE). */
  clientId: string;
  /** The redirect URIs registered for it (exact strings): `http://127.0.0.1:8400/`. */
  redirectUris: string[];
  /** The portal's certificate (PEM), to trust explicitly: `verify: llng.ca`. */
  ca: string;
  /** GETs a JSON document of the portal (`.well-known/openid-configuration`, `oauth2/jwks`); counted like any request. */
  getJson(path: string): Promise<Record<string, unknown>>;
  /** A position in the request log, to pass to {@link requestsSince}. */
  mark(): Promise<number>;
  /** `METHOD /path` of every request answered since `mark` (markers left out). */
  requestsSince(mark: number): Promise<string[]>;
  /**
   * New signing keys (rotateOidcKeys as www-data, then update-cache), resolving once the portal
   * publishes the new key id.
   */
  rotateKeys(): Promise<string>;
  /** The key id the portal signs with now (from its live configuration). */
  signingKeyId(): string;
  /** Stops nginx and the FastCGI server, removes the run folder and the sessions opened meanwhile. */
  close(): Promise<void>;
}

function cacheDir(): string {
  return process.env.LLNG_CACHE ?? join(repoRoot, '.cache', 'llng');
}

/** The installed paths; throws with the way out when LL::NG is not installed. */
export function llngPaths(): LlngPaths {
  const file = join(cacheDir(), 'paths.json');
  if (!existsSync(file)) throw new Error(`LemonLDAP::NG is not installed (no ${file}): ${INSTALL_HINT}`);
  const paths = JSON.parse(readFileSync(file, 'utf8')) as LlngPaths;
  for (const binary of [paths.fastcgiServer, paths.cli, paths.rotateOidcKeys, NGINX, paths.caFile]) {
    if (!existsSync(binary)) throw new Error(`LemonLDAP::NG is not installed (no ${binary}): ${INSTALL_HINT}`);
  }
  return paths;
}

function wwwData(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'www-data'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'www-data'], { encoding: 'utf8' }).trim()),
  };
}

/** True when something accepts connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** Resolves when `check` resolves true, checking every 50 ms; rejects after `timeoutMs` or when `failed()` says so. */
async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean, failed: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = failed();
    if (reason !== undefined) throw new Error(`${what}: ${reason}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A GET to the portal trusting its certificate; answers status and body. */
function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca, agent: false, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

/** The pids of `pid`'s children, from /proc (workers of nginx and of the FastCGI process manager). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields follow the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A child process and what it printed (bounded), for error messages. */
interface Started {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: () => string | undefined;
  /** Its workers, recorded once it is ready, so that none can outlive it. */
  workers: number[];
}

function startProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exit: string | undefined;
  child.once('exit', (code, signal) => (exit = `${name} exited (${signal ?? `code ${code}`})`));
  child.once('error', (err) => (exit = `${name} did not start: ${err.message}`));
  return { name, child, output: () => output, exited: () => (exit === undefined ? undefined : `${exit}\n${output}`), workers: [] };
}

/** SIGTERM, then SIGKILL after a bound; then the workers it had, by pid, if any outlived it. */
async function stopProcess(started: Started): Promise<void> {
  const { child } = started;
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  for (const pid of started.workers) {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await waitUntil(`the workers of ${started.name} to end`, STOP_TIMEOUT_MS, () => started.workers.every((pid) => !isAlive(pid)));
}

const CONF_DIR = '/var/lib/lemonldap-ng/conf';

/** LL::NG's configuration files (lmConf-<n>.json; the highest number is the live one). */
function listConfigs(): Set<string> {
  return new Set(readdirSync(CONF_DIR).filter((name) => /^lmConf-\d+\.json$/.test(name)));
}

/** The newest LL::NG configuration file's JSON. */
function liveConfig(): Record<string, unknown> {
  const dir = CONF_DIR;
  const newest = readdirSync(dir)
    .map((name) => /^lmConf-(\d+)\.json$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]))[0];
  if (!newest) throw new Error(`no LL::NG configuration in ${dir}: ${INSTALL_HINT}`);
  return JSON.parse(readFileSync(join(dir, newest[0]), 'utf8')) as Record<string, unknown>;
}

function listSessions(): Set<string> {
  const files = new Set<string>();
  for (const dir of SESSION_DIRS) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) if (name !== 'lock') files.add(join(dir, name));
  }
  return files;
}

/** Runs a command as www-data (LL::NG's configuration must stay readable by the portal), bounded. */
function runAsWwwData(command: string, args: string[]): Promise<string> {
  const { uid, gid } = wwwData();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { uid, gid, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: { ...process.env, HOME: '/var/www' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}): ${output}`))));
  });
}

/** Starts LL::NG (FastCGI server as www-data, nginx on 127.0.0.1) and waits until it answers discovery. */
export async function startLlng(): Promise<Llng> {
  const paths = llngPaths();
  if (process.getuid?.() !== 0) throw new Error('the LemonLDAP::NG tests run as root: the FastCGI server is started as www-data');
  if (await isListening(paths.port)) {
    throw new Error(`127.0.0.1:${paths.port} is in use: LemonLDAP::NG's portal is configured there (stop what listens, perhaps an earlier run)`);
  }
  const ca = readFileSync(paths.caFile, 'utf8');
  const { uid, gid } = wwwData();
  const sessionsBefore = listSessions();
  const configsBefore = listConfigs();
  const runDir = mkdtempSync(join(tmpdir(), 'llng-'));
  // The FastCGI server (www-data) creates its socket here; nginx's workers (www-data) write temp files.
  chownSync(runDir, uid, gid);
  const config = readFileSync(paths.nginxTemplate, 'utf8')
    .replaceAll('@RUN_DIR@', runDir)
    .replaceAll('@TLS_DIR@', paths.tlsDir)
    .replaceAll('@PORT@', String(paths.port));
  writeFileSync(join(runDir, 'nginx.conf'), config);
  const accessLog = join(runDir, 'access.log');
  const socketPath = join(runDir, 'llng-fastcgi.sock');
  const started: Started[] = [];

  const stopAll = async () => {
    for (const proc of [...started].reverse()) await stopProcess(proc);
    rmSync(runDir, { recursive: true, force: true });
    for (const file of listSessions()) if (!sessionsBefore.has(file)) rmSync(file, { force: true });
    // rotateKeys() saved new configurations: back to the one found at start (and its keys).
    const added = [...listConfigs()].filter((name) => !configsBefore.has(name));
    for (const name of added) rmSync(join(CONF_DIR, name), { force: true });
    if (added.length > 0) await runAsWwwData(paths.cli, ['update-cache']);
  };

  try {
    // One worker (-n 1): a configuration change (rotateKeys) is then seen by every request after
    // the first that sees it. Logs go to stderr (kept for error messages), not to syslog.
    const fastcgi = startProcess(
      'llng-fastcgi-server',
      paths.fastcgiServer,
      ['--foreground', '-u', 'www-data', '-g', 'www-data', '-s', socketPath, '-p', join(runDir, 'llng-fastcgi.pid'), '-n', '1'],
      { ...process.env, LLNG_DEFAULTLOGGER: 'Lemonldap::NG::Common::Logger::Std' },
    );
    started.push(fastcgi);
    await waitUntil('the FastCGI socket', START_TIMEOUT_MS, () => existsSync(socketPath), fastcgi.exited);
    const nginx = startProcess('nginx', NGINX, ['-c', join(runDir, 'nginx.conf'), '-e', join(runDir, 'error.log')]);
    started.push(nginx);
    const discovery = new URL('.well-known/openid-configuration', paths.issuer).href;
    let last = '';
    await waitUntil(
      `LemonLDAP::NG to answer ${discovery}`,
      START_TIMEOUT_MS,
      async () => {
        try {
          const answer = await get(discovery, ca);
          last = `HTTP ${answer.status}`;
          return answer.status === 200 && (JSON.parse(answer.body) as { issuer?: string }).issuer === paths.issuer;
        } catch (err) {
          last = (err as Error).message;
          return false;
        }
      },
      () => fastcgi.exited() ?? nginx.exited(),
    ).catch((err: Error) => {
      const errorLog = existsSync(join(runDir, 'error.log')) ? readFileSync(join(runDir, 'error.log'), 'utf8').slice(-2000) : '';
      throw new Error(`${err.message} (last: ${last})\nFastCGI server: ${fastcgi.output().slice(-2000)}\nnginx: ${errorLog}`);
    });
    for (const proc of started) proc.workers = childrenOf(proc.child.pid!);
  } catch (err) {
    await stopAll();
    throw err;
  }

  let marks = 0;
  const readLog = (): LoggedRequest[] =>
    readFileSync(accessLog, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [, method = '', path = '', status = '0'] = line.split(' ');
        return { method, path, status: Number(status) };
      });
  /** Sends a marker and waits for its log line: then the log holds every earlier answer. */
  const settle = async (): Promise<LoggedRequest[]> => {
    const answer = await get(new URL(MARK_PATH, paths.issuer).href, ca);
    if (answer.status !== 204) throw new Error(`the marker request got HTTP ${answer.status}`);
    marks += 1;
    let log: LoggedRequest[] = [];
    await waitUntil('the marker in the access log', 5000, () => {
      log = readLog();
      return log.filter((entry) => entry.path === MARK_PATH).length >= marks;
    });
    return log;
  };

  return {
    issuer: paths.issuer,
    clientId: paths.clientId,
    redirectUris: paths.redirectUris.split(' '),
    ca,
    getJson: async (path) => {
      const answer = await get(new URL(path, paths.issuer).href, ca);
      if (answer.status !== 200) throw new Error(`GET ${path}: HTTP ${answer.status}`);
      return JSON.parse(answer.body) as Record<string, unknown>;
    },
    mark: async () => (await settle()).length,
    requestsSince: async (mark) =>
      (await settle())
        .slice(mark)
        .filter((entry) => entry.path !== MARK_PATH)
        .map((entry) => `${entry.method} ${entry.path}`),
    signingKeyId: () => String(liveConfig()['oidcServiceKeyIdSig']),
    rotateKeys: async () => {
      const before = String(liveConfig()['oidcServiceKeyIdSig']);
      await runAsWwwData(paths.rotateOidcKeys, []);
      await runAsWwwData(paths.cli, ['update-cache']);
      const kid = String(liveConfig()['oidcServiceKeyIdSig']);
      if (kid === before) throw new Error(`rotateOidcKeys left the key id at ${kid}`);
      const jwks = new URL('oauth2/jwks', paths.issuer).href;
      await waitUntil(`the portal to publish the key ${kid}`, 15_000, async () => {
        const answer = await get(jwks, ca);
        return answer.status === 200 && (JSON.parse(answer.body) as { keys: Array<{ kid?: string }> }).keys.some((key) => key.kid === kid);
      });
      return kid;
    },
    close: stopAll,
  };
}
