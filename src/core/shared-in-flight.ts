/**
 * Work that concurrent callers share: the first call with a key starts it, the others get the
 * same promise until it settles; a later call starts it anew. Refreshes, consent questions and
 * client registrations use it, so that one event asks the server (or the person) once.
 */
export class SharedInFlight<T> {
  private readonly byKey = new Map<string, Promise<T>>();

  share(key: string, start: () => Promise<T>): Promise<T> {
    let pending = this.byKey.get(key);
    if (!pending) {
      pending = start().finally(() => this.byKey.delete(key));
      this.byKey.set(key, pending);
    }
    return pending;
  }
}
