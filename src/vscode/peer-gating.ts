/**
 * Where the cross-window channel opens — the socket channel of a Node extension host
 * (src/node/peer-channel.ts) or the `BroadcastChannel` link of a web worker extension host
 * (broadcast-peers.ts), each host opening its own — : only where the windows of one
 * editor do not share SecretStorage. Decided from what the editor reports, by a pure function
 * (a table-driven test pins it).
 *
 * Where SecretStorage lives:
 * - Desktop VS Code, local window: in the main process (OS keychain / safeStorage), shared by
 *   every window, which hear each other's writes through `secrets.onDidChange`. No channel.
 * - Desktop VS Code, remote window (SSH, WSL, dev containers, tunnels): the extension host runs
 *   on the remote, SecretStorage stays on the desktop side and is shared as above. No channel.
 * - A browser-based editor with a server (code-server, Codespaces or `code serve-web` in a
 *   browser), this extension in the server's Node extension host: SecretStorage is the browser's,
 *   one copy per window read when the window opens; another window's writes are never seen. The
 *   channel opens: it is how the windows' extension hosts on that server stay in step.
 * - The extension in a browser's web worker extension host (vscode.dev, github.dev, code-server
 *   with the extension moved there): SecretStorage is the browser's, one copy per window, as
 *   above. No sockets, but the workers of one browser share the workbench's origin: the
 *   `BroadcastChannel` link opens.
 */

/** What the editor reports, reduced to what decides. */
export interface PeerEnvironment {
  /** `vscode.env.uiKind`: the workbench runs in a desktop app or a browser. */
  uiKind: 'desktop' | 'web';
  /** `vscode.env.remoteName`: undefined in a local window. */
  remoteName: string | undefined;
  /** `vscode.env.appHost`: `desktop`, `web`, `codespaces`, `vscode.dev`, … */
  appHost: string;
  /** Where this extension host runs (src/extension.ts): desktop, the remote/server, a web worker. */
  extensionHost: 'local' | 'remote' | 'webWorker';
  /** Whether Node's sockets are there (false in a web worker). */
  hasNode: boolean;
}

export interface PeerDecision {
  open: boolean;
  /** Why, for the log. */
  reason: string;
}

export function decidePeerChannel(env: PeerEnvironment): PeerDecision {
  if (env.uiKind === 'desktop' || env.appHost === 'desktop') {
    return { open: false, reason: 'desktop windows share SecretStorage and announce its changes' };
  }
  if (env.extensionHost === 'webWorker') {
    return { open: true, reason: "browser windows each read their own copy of SecretStorage once; a BroadcastChannel between their web workers keeps them in step" };
  }
  if (!env.hasNode) return { open: false, reason: 'neither sockets nor a web worker' };
  if (env.remoteName === undefined || env.extensionHost !== 'remote') {
    return { open: false, reason: 'a browser workbench without a server extension host' };
  }
  return { open: true, reason: "browser windows each read their own copy of SecretStorage once; the server's extension hosts keep them in step" };
}
