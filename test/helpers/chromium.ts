/** Debian's headless Chromium for browser tests, driven by playwright-core. */
import { chromium, type BrowserContext } from 'playwright-core';
import { ensureDebianPackages } from './peers.js';

/** Debian's Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Installs Chromium when missing and starts it headless with a profile in `profileDir`
 * (no sandbox, no GPU, no QUIC, nothing fetched in the background).
 */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  ensureDebianPackages({ [CHROMIUM]: 'chromium' });
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
