/**
 * The words for what only the loopback sign-in meets, which runs in a Node extension host alone:
 * its port taken. The Node entry (src/extension.ts) hands them to the activation as its
 * {@link HostErrorExplainer}; the browser build, which has no listener, never holds them.
 */
import { LoopbackPortInUseError } from '../node/loopback-listener.js';
import { describeSettingLocation } from './settings.js';
import type { HostErrorExplainer } from './user-errors.js';

export const explainLoopbackError: HostErrorExplainer = (err, context, t) => {
  if (!(err instanceof LoopbackPortInUseError)) return undefined;
  const taken = [String(err.port), err.address, context.providerLabel] as const;
  // Only a fixed port can be taken: the default asks the system for a free one.
  const setting = context.redirectUriSetting;
  return setting
    ? {
        message: t(
          'Port {0} on {1} is in use by another program, so the browser sign-in to {2} cannot receive its redirect. Close that program, or choose another port in {3} (and register that redirect URI at the identity provider).',
          ...taken,
          describeSettingLocation(setting),
        ),
        next: 'openSettings',
        setting: setting.key,
      }
    : { message: t('Port {0} on {1} is in use by another program, so the browser sign-in to {2} cannot receive its redirect. Try again.', ...taken), next: 'none' };
};
