/**
 * Just enough of the `vscode` module to activate the extension in plain Node: the parts
 * extension.ts and src/vscode touch while activating, reading sessions and signing in. What the
 * extension does with it (messages shown, log lines, registered providers) is recorded in
 * {@link stub} for the tests. Loaded in place of `vscode` by ./hooks.ts.
 */
import { readFile } from 'node:fs/promises';

export interface RecordedMessage {
  severity: 'information' | 'warning' | 'error';
  message: string;
  /** The buttons it offered (`showErrorMessage(message, ...items)`). */
  actions: string[];
}

/** What the tests set before activation and read after it. */
export const stub = {
  settings: new Map<string, unknown>(),
  messages: [] as RecordedMessage[],
  logLines: [] as string[],
  providers: new Map<string, unknown>(),
  /** The options each provider was registered with. */
  registrationOptions: new Map<string, unknown>(),
  /** How many times a provider was registered. */
  registrations: 0,
  /** Commands run through `commands.executeCommand`, with their arguments. */
  executed: [] as unknown[][],
  /** Extensions `extensions.getExtension` finds, by id. */
  installed: new Map<string, { id: string; packageJSON: Record<string, unknown> }>(),
  /** Which button the user clicks on a message (default: none, the message is dismissed). */
  answer: undefined as ((message: RecordedMessage) => string | undefined) | undefined,
  reset(): void {
    this.registrations = 0;
    this.registrationOptions.clear();
    this.executed.length = 0;
    this.answer = undefined;
    this.settings.clear();
    this.messages.length = 0;
    this.logLines.length = 0;
    this.providers.clear();
    this.installed.clear();
  },
};

const disposable = () => ({ dispose: () => undefined });

export class EventEmitter<T> {
  private readonly listeners = new Set<(value: T) => unknown>();
  readonly event = (listener: (value: T) => unknown) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class CancellationError extends Error {
  override readonly name = 'Canceled';
}

export class Uri {
  private constructor(readonly scheme: string, readonly fsPath: string, private readonly text: string) {}
  static parse(value: string): Uri {
    return new Uri(new URL(value).protocol.replace(':', ''), '', value);
  }
  static file(path: string): Uri {
    return new Uri('file', path, `file://${path}`);
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return Uri.file([base.fsPath, ...segments].join('/'));
  }
  toString(): string {
    return this.text;
  }
}

export const UIKind = { Desktop: 1, Web: 2 } as const;
export const ExtensionKind = { UI: 1, Workspace: 2 } as const;
export const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 } as const;

export const l10n = {
  t: (message: string, ...args: unknown[]) => message.replace(/\{(\d+)\}/g, (_all, index: string) => String(args[Number(index)])),
};

const show = (severity: RecordedMessage['severity']) => async (message: string, ...items: unknown[]) => {
  const recorded: RecordedMessage = { severity, message, actions: items.filter((item): item is string => typeof item === 'string') };
  stub.messages.push(recorded);
  return stub.answer?.(recorded);
};

const logAt = (level: string) => (message: string) => void stub.logLines.push(`${level} ${message}`);

export const window = {
  createOutputChannel: () => ({
    trace: logAt('trace'),
    debug: logAt('debug'),
    info: logAt('info'),
    warn: logAt('warn'),
    error: logAt('error'),
    show: () => undefined,
    dispose: () => undefined,
  }),
  showInformationMessage: show('information'),
  showWarningMessage: show('warning'),
  showErrorMessage: show('error'),
  showQuickPick: async () => undefined,
  registerUriHandler: disposable,
  withProgress: <T>(_options: unknown, task: (progress: unknown, token: unknown) => Promise<T>) =>
    task({ report: () => undefined }, { isCancellationRequested: false, onCancellationRequested: disposable }),
};

export const workspace = {
  getConfiguration: (section?: string) => ({
    get: <T>(key: string, fallback?: T) => (stub.settings.has(`${section}.${key}`) ? stub.settings.get(`${section}.${key}`) : fallback),
  }),
  onDidChangeConfiguration: disposable,
  // The activation reads its success page through the editor's file system, as a web worker must.
  fs: { readFile: async (uri: Uri) => new Uint8Array(await readFile(uri.fsPath)) },
};

export const commands = {
  registerCommand: disposable,
  executeCommand: async (...args: unknown[]) => void stub.executed.push(args),
};

export const authentication = {
  registerAuthenticationProvider: (id: string, _label: string, provider: unknown, options?: unknown) => {
    // Like VS Code: one provider per id at a time.
    if (stub.providers.has(id)) throw new Error(`an authentication provider with id '${id}' is already registered`);
    stub.providers.set(id, provider);
    stub.registrationOptions.set(id, options);
    stub.registrations += 1;
    return { dispose: () => stub.providers.get(id) === provider && stub.providers.delete(id) };
  },
};

export const env = {
  uriScheme: 'vscode',
  remoteName: undefined,
  uiKind: UIKind.Desktop,
  asExternalUri: async (uri: Uri) => uri,
  openExternal: async () => false,
  clipboard: { writeText: async () => undefined },
};

export const extensions = { getExtension: (id: string) => stub.installed.get(id) };
