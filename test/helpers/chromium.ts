/** Debian's headless Chromium for browser tests, driven by playwright-core. */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext } from 'playwright-core';
import { tempDir } from './engine.js';
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

/** A headless Chromium and the local HTTP server of the pages it loads. */
export interface BrowserHarness {
  context: BrowserContext;
  /** The page server's port, on 127.0.0.1: pages load as http://localhost:<port>/… too. */
  port: number;
  /** The browser's profile directory, removed by close: room for files a page uploads. */
  dir: string;
  /** Closes the browser and the page server and removes the profile. */
  close(): Promise<void>;
}

/** Starts a page server answering with `pages`, and Chromium with a fresh profile. */
export async function startBrowserHarness(pages: RequestListener): Promise<BrowserHarness> {
  const server = createServer(pages);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const profile = tempDir('stowage-chromium-');
  const closeServer = (): Promise<void> =>
    new Promise<void>((resolve) => server.close(() => resolve()));
  let context: BrowserContext;
  try {
    context = await launchChromium(profile.dir);
  } catch (err) {
    await closeServer();
    profile.cleanup();
    throw err;
  }
  return {
    context,
    port: (server.address() as AddressInfo).port,
    dir: profile.dir,
    async close() {
      await context.close();
      await closeServer();
      profile.cleanup();
    },
  };
}
