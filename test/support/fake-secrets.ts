/** An in-memory SecretStorage for the tests of src/vscode and of the activated extension. */
import type { SecretStore } from '../../src/vscode/secret-store.js';

/** SecretStorage in memory. Like the editor's, it fires onDidChange for this window's writes too. */
export class FakeSecrets implements SecretStore {
  readonly values = new Map<string, string>();
  readonly listeners = new Set<(event: { key: string }) => unknown>();
  readonly gets: string[] = [];
  readonly stores: string[] = [];

  async get(key: string): Promise<string | undefined> {
    this.gets.push(key);
    return this.values.get(key);
  }

  async store(key: string, value: string): Promise<void> {
    this.stores.push(key);
    this.values.set(key, value);
    this.fire(key);
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
    this.fire(key);
  }

  onDidChange(listener: (event: { key: string }) => unknown): { dispose(): unknown } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Another window writes (or, with undefined, deletes) a key. */
  writeFromOtherWindow(key: string, value: string | undefined): void {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, value);
    this.fire(key);
  }

  private fire(key: string): void {
    for (const listener of [...this.listeners]) listener({ key });
  }
}

