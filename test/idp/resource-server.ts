// A protected resource for the authenticated-fetch tests (issue 15): node:http on 127.0.0.1 at a
// random port. It publishes its protected resource metadata (RFC 9728) at the well-known path of
// its resource identifier `<origin>/api`, accepts the IdP's JWT access tokens as Bearer (RFC 6750)
// or DPoP-bound (RFC 9449) and answers every refusal with the challenge a client must follow:
//
//   GET /.well-known/oauth-protected-resource/api   the metadata
//   ANY /api[/...]                                   200 { sub, scope, token_type, path } or a challenge
//
// A resource server the way the RFCs describe it, so that the client is tested against the
// checks a real one makes: signature, issuer, audience and expiry of the token; for DPoP the
// proof's signature, typ, htm, htu, iat, ath, jti (replay cache) and its key against `cnf.jkt`.
// It closes itself after `lifetimeMs` and never keeps the process alive.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, type JWTPayload, jwtVerify } from 'jose';

export interface ResourceServerOptions {
  /** The issuer whose access tokens are accepted (`iss`), also the metadata's authorization server. */
  issuer: string;
  /** Where the issuer's signing keys are (`<issuer>/jwks` for the test IdP's generic face). */
  jwksUri: string;
  /** The `aud` the tokens must carry, e.g. `api://demo`. */
  audience: string;
  /** The scope every request needs, default `api://demo/read`. */
  requiredScope?: string;
  /** Paths (under /api) needing another scope: `{ '/api/admin': 'api://demo/write' }`. A step-up. */
  scopeByPathPrefix?: Readonly<Record<string, string>>;
  /** Refuse Bearer tokens: only DPoP-bound ones pass (the metadata says so too). Default false. */
  requireDpop?: boolean;
  /**
   * Server nonces for DPoP proofs (RFC 9449 §9): `'required'` answers a proof without the current
   * nonce with `401 DPoP error="use_dpop_nonce"` and a `DPoP-Nonce`; `'always-new'` does so for every
   * proof, with a new nonce each time (a hostile server the client must not follow for ever).
   */
  dpopNonce?: 'off' | 'required' | 'always-new';
  /** Overrides the metadata's `resource` (a hostile or misconfigured resource). */
  advertisedResource?: string;
  /** Overrides the metadata's `authorization_servers`. */
  advertisedAuthorizationServers?: string[];
  /** The server closes itself after this long, default 5 minutes. */
  lifetimeMs?: number;
}

export interface ResourceRequestLogEntry {
  method: string;
  path: string;
  /** The Authorization scheme sent, lower-cased, or undefined. */
  scheme?: string;
  status?: number;
  /** Why the request was refused (never a token). */
  refusal?: string;
}

export interface ResourceServer {
  readonly origin: string;
  /** The resource identifier, `<origin>/api`. */
  readonly resource: string;
  /** `<origin>/.well-known/oauth-protected-resource/api`. */
  readonly metadataUrl: string;
  readonly requests: ResourceRequestLogEntry[];
  /** The nonce a DPoP proof must carry now (`dpopNonce: 'required'`). */
  readonly currentNonce: string;
  url(path?: string): string;
  close(): Promise<void>;
}

/** How far a proof's `iat` may be from the server's clock, in seconds (RFC 9449 §11.1). */
const PROOF_IAT_WINDOW_S = 60;

class Refusal extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly challenge: string,
    readonly reason: string,
    readonly nonce?: string,
  ) {
    super(reason);
  }
}

function sha256Base64Url(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(JSON.stringify(body));
}

export async function startResourceServer(options: ResourceServerOptions): Promise<ResourceServer> {
  const requests: ResourceRequestLogEntry[] = [];
  const sockets = new Set<Socket>();
  const keys = createRemoteJWKSet(new URL(options.jwksUri));
  const requiredScope = options.requiredScope ?? 'api://demo/read';
  const nonceMode = options.dpopNonce ?? 'off';
  /** jti of every proof accepted while it could still pass the iat window. */
  const seenProofs = new Map<string, number>();
  let nonceCounter = 0;
  const newNonce = () => `n-${Date.now().toString(36)}-${(nonceCounter += 1)}`;
  let currentNonce = newNonce();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(error) });
      else res.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resource = `${origin}/api`;
  const metadataUrl = `${origin}/.well-known/oauth-protected-resource/api`;

  const bearerChallenge = (params: Record<string, string> = {}) =>
    `Bearer ${Object.entries({ ...params, resource_metadata: metadataUrl }).map(([k, v]) => `${k}=${quote(v)}`).join(', ')}`;
  const dpopChallenge = (params: Record<string, string> = {}) =>
    `DPoP ${Object.entries({ ...params, algs: 'ES256' }).map(([k, v]) => `${k}=${quote(v)}`).join(', ')}`;
  const bothChallenges = (params: Record<string, string> = {}) =>
    options.requireDpop ? `${dpopChallenge(params)}, ${bearerChallenge()}` : `${bearerChallenge(params)}, ${dpopChallenge(params)}`;

  const scopeFor = (path: string): string => {
    const match = Object.keys(options.scopeByPathPrefix ?? {})
      .filter((prefix) => path === prefix || path.startsWith(`${prefix}/`))
      .sort((a, b) => b.length - a.length)[0];
    return match === undefined ? requiredScope : options.scopeByPathPrefix![match]!;
  };

  const verifyAccessToken = async (token: string): Promise<JWTPayload> => {
    try {
      const { payload } = await jwtVerify(token, keys, { issuer: options.issuer, audience: options.audience, typ: 'at+jwt' });
      return payload;
    } catch (error) {
      throw new Refusal(401, bothChallenges({ error: 'invalid_token' }), `access token: ${(error as Error).message}`);
    }
  };

  const verifyProof = async (req: IncomingMessage, path: string, accessToken: string, jkt: string): Promise<void> => {
    const refuse = (reason: string) => new Refusal(401, dpopChallenge({ error: 'invalid_dpop_proof' }), reason);
    const proofs = req.headers.dpop;
    if (typeof proofs !== 'string' || proofs.includes(',')) throw refuse('exactly one DPoP proof is needed');
    let payload: JWTPayload;
    let jwk: Record<string, unknown>;
    try {
      const verified = await jwtVerify(proofs, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk as Record<string, unknown>;
    } catch (error) {
      throw refuse(`proof: ${(error as Error).message}`);
    }
    if (jwk === undefined || 'd' in jwk) throw refuse('the proof carries no public jwk');
    if (payload.htm !== req.method) throw refuse('htm mismatch');
    if (payload.htu !== `${origin}${path}`) throw refuse('htu mismatch');
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > PROOF_IAT_WINDOW_S) throw refuse('iat outside the window');
    if (typeof payload.jti !== 'string' || payload.jti === '') throw refuse('no jti');
    if (payload.ath !== sha256Base64Url(accessToken)) throw refuse('ath mismatch');
    if (await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256') !== jkt) throw refuse('the proof key is not the token key (cnf.jkt)');
    if (nonceMode === 'always-new' || (nonceMode === 'required' && payload.nonce !== currentNonce)) {
      currentNonce = newNonce();
      throw new Refusal(401, dpopChallenge({ error: 'use_dpop_nonce', error_description: 'Resource server requires nonce in DPoP proof' }), 'nonce needed', currentNonce);
    }
    for (const [jti, expires] of seenProofs) if (expires < now) seenProofs.delete(jti);
    if (seenProofs.has(payload.jti)) throw refuse('replayed proof (jti seen before)');
    seenProofs.set(payload.jti, now + 2 * PROOF_IAT_WINDOW_S);
  };

  const authorize = async (req: IncomingMessage, path: string): Promise<{ payload: JWTPayload; tokenType: 'Bearer' | 'DPoP' }> => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header) : null;
    if (match === null) {
      throw new Refusal(401, bothChallenges({ scope: scopeFor(path) }), header === undefined ? 'no credentials' : 'malformed Authorization');
    }
    const scheme = match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = match[2]!;
    const payload = await verifyAccessToken(token);
    const jkt = (payload.cnf as { jkt?: unknown } | undefined)?.jkt;
    if (scheme === 'Bearer') {
      // RFC 9449 §7.2: a DPoP-bound token presented as Bearer is refused, or copying it would be enough.
      if (typeof jkt === 'string') throw new Refusal(401, bothChallenges({ error: 'invalid_token' }), 'a DPoP-bound token sent as Bearer');
      if (options.requireDpop) throw new Refusal(401, bothChallenges({ error: 'invalid_token' }), 'Bearer tokens are not accepted');
    } else {
      if (typeof jkt !== 'string') throw new Refusal(401, bothChallenges({ error: 'invalid_token' }), 'a token without cnf.jkt sent as DPoP');
      await verifyProof(req, path, token, jkt);
    }
    const needed = scopeFor(path);
    const granted = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!granted.includes(needed)) {
      const params = { error: 'insufficient_scope', scope: needed };
      throw new Refusal(403, scheme === 'DPoP' ? dpopChallenge(params) : bearerChallenge(params), `missing scope ${needed}`);
    }
    return { payload, tokenType: scheme };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', origin).pathname;
    const entry: ResourceRequestLogEntry = { method: req.method ?? 'GET', path };
    requests.push(entry);
    res.on('finish', () => { entry.status = res.statusCode; });
    req.resume();
    if (req.method === 'GET' && path === '/.well-known/oauth-protected-resource/api') {
      sendJson(res, 200, {
        resource: options.advertisedResource ?? resource,
        authorization_servers: options.advertisedAuthorizationServers ?? [options.issuer],
        scopes_supported: [...new Set([requiredScope, ...Object.values(options.scopeByPathPrefix ?? {})])],
        bearer_methods_supported: ['header'],
        dpop_signing_alg_values_supported: ['ES256'],
        ...(options.requireDpop ? { dpop_bound_access_tokens_required: true } : {}),
      });
      return;
    }
    if (path !== '/api' && !path.startsWith('/api/')) {
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    const authorization = req.headers.authorization;
    if (typeof authorization === 'string') entry.scheme = authorization.split(' ')[0]?.toLowerCase();
    try {
      const { payload, tokenType } = await authorize(req, path);
      sendJson(res, 200, { sub: payload.sub, scope: payload.scope, client_id: payload.client_id, token_type: tokenType, path });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      entry.refusal = error.reason;
      const headers: Record<string, string> = { 'WWW-Authenticate': error.challenge };
      if (error.nonce !== undefined) headers['DPoP-Nonce'] = error.nonce;
      sendJson(res, error.status, { error: 'refused' }, headers);
    }
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
    return closing;
  };
  const timer = setTimeout(() => void close(), options.lifetimeMs ?? 5 * 60_000);
  timer.unref();

  return {
    origin,
    resource,
    metadataUrl,
    requests,
    get currentNonce() {
      return currentNonce;
    },
    url: (path = '') => `${resource}${path}`,
    close,
  };
}
