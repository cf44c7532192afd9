/**
 * A module resolution hook (node:module `register`) that loads ./stub.js wherever `vscode` is
 * imported, so src/vscode and extension.ts run under the Node test runner.
 */
type Resolve = (specifier: string, context: unknown) => Promise<{ url: string; shortCircuit?: boolean }>;

export async function resolve(specifier: string, context: unknown, nextResolve: Resolve): Promise<{ url: string; shortCircuit?: boolean }> {
  if (specifier === 'vscode') return { url: new URL('./stub.js', import.meta.url).href, shortCircuit: true };
  return nextResolve(specifier, context);
}
