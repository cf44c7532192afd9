/**
 * Logging of the core. Silent unless the caller passes a {@link Logger}. Messages never contain
 * tokens, codes, verifiers, secrets, assertions or redirect queries; personal data (usernames,
 * account and tenant ids) appears only when `enablePiiLog` is on, through {@link pii}.
 */

export type LogLevel = 'error' | 'warning' | 'info' | 'verbose' | 'trace';

/** Where log lines go; each method receives a finished, safe message. */
export interface Logger {
  error(message: string): void;
  warning(message: string): void;
  info(message: string): void;
  verbose(message: string): void;
  trace?(message: string): void;
}

export const SILENT_LOGGER: Logger = {
  error: () => undefined,
  warning: () => undefined,
  info: () => undefined,
  verbose: () => undefined,
};

/** The logger the library uses internally: knows whether PII may be shown. */
export class LogContext {
  constructor(
    readonly logger: Logger = SILENT_LOGGER,
    readonly piiEnabled = false,
  ) {}

  /** Shows `value` when PII logging is on, a fixed placeholder otherwise. */
  pii(value: string | undefined): string {
    if (value === undefined) return '<none>';
    return this.piiEnabled ? value : '<pii>';
  }

  error(message: string): void {
    this.logger.error(message);
  }
  warning(message: string): void {
    this.logger.warning(message);
  }
  info(message: string): void {
    this.logger.info(message);
  }
  verbose(message: string): void {
    this.logger.verbose(message);
  }
  trace(message: string): void {
    this.logger.trace?.(message);
  }
}

/** A URL safe to log: origin and path only, never the query (it may carry codes or tokens). */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '<unparseable url>';
  }
}
