/**
 * The editor's SecretStorage as this extension uses it: the token caches, the peer key, DPoP keys
 * and client registrations live there, most of them as JSON text.
 */
import type { Disposable } from './peer-link.js';

/** The part of `vscode.SecretStorage` this needs. */
export interface SecretStore {
  get(key: string): Thenable<string | undefined>;
  store(key: string, value: string): Thenable<void>;
  delete(key: string): Thenable<void>;
  onDidChange(listener: (event: { key: string }) => unknown): Disposable;
}

/**
 * The JSON value stored under `key`: undefined when nothing is, or what is cannot be parsed (a
 * damaged value counts as none; the next write replaces it).
 */
export async function readJsonSecret(secrets: Pick<SecretStore, 'get'>, key: string): Promise<unknown> {
  const text = await secrets.get(key);
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
