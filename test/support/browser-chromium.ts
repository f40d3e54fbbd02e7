import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser download does not work on
 * the project's closed network). scripts/ensure-chromium.sh installs it; CHROMIUM_PATH overrides
 * the location.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** SKIP_BROWSER_TESTS=1 skips browser tests on purpose; otherwise a missing browser is a failure. */
export const skipBrowserTests = process.env.SKIP_BROWSER_TESTS === '1';

/**
 * Headless, no sandbox (CI runs as root), and no background networking: without those flags
 * Chromium's own connections (component updates, sync, Google lookups) are refused by the closed
 * network on every start.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function missingChromiumMessage(): string {
  return (
    `Chromium not found at ${CHROMIUM_PATH}. Install it with scripts/ensure-chromium.sh (Debian's chromium package; ` +
    'needs root) or point CHROMIUM_PATH at a Chromium binary; set SKIP_BROWSER_TESTS=1 to skip browser tests on purpose.'
  );
}

export interface ChromiumSession {
  context: BrowserContext;
  page: Page;
  /** Requests the page tried to send off the loopback interface (all of them are aborted). */
  offHostRequests: string[];
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh, empty profile (--user-data-dir in a new temporary directory,
 * removed on close). Requests that leave 127.0.0.1 are aborted and recorded, so a page that needs
 * the internet fails visibly instead of hanging on the closed network.
 */
export async function launchChromium(): Promise<ChromiumSession> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(missingChromiumMessage());
  const userDataDir = mkdtempSync(join(tmpdir(), 'istio-api-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      chromiumSandbox: false,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1400 },
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const offHostRequests: string[] = [];
  await context.route(
    (url) => !['127.0.0.1', 'localhost'].includes(url.hostname) && url.protocol !== 'data:' && url.protocol !== 'blob:',
    async (route) => {
      offHostRequests.push(route.request().url());
      await route.abort('blockedbyclient');
    },
  );
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    offHostRequests,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
