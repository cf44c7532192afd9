/** The editor UI of an activated extension in the integration tests: the browser is the headless one, signing `alice` in. */
import { completeAuthorization } from '../idp/headless-login.js';

/** `api.testing.setUi`'s argument: each browser opening is counted by `opened`, then completed; no device code. */
export function headlessSignInUi(opened: () => void) {
  return {
    openUri: async (url: string) => {
      opened();
      const redirect = await completeAuthorization(url, { account: 'alice' });
      await (await fetch(redirect)).text();
      return true;
    },
    showDeviceCode: async () => false,
  };
}
