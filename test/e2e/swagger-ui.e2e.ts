import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { CHROMIUM_PATH, launchChromium, missingChromiumMessage, skipBrowserTests, type ChromiumSession } from '../support/browser-chromium.js';
import { startService, type RunningService } from '../support/e2e.js';

/**
 * Swagger UI in a real browser (Debian's Chromium, headless, driven by playwright-core): open
 * /api/docs, authorize with a bearer token, run GET /virtual-services with "Try it out" and read
 * the live response the page shows. The screenshot is kept in test-artifacts/swagger-ui.png (and
 * test-artifacts/swagger-ui-failure.png when a step fails).
 *
 * A missing browser fails the suite with instructions; SKIP_BROWSER_TESTS=1 skips it on purpose.
 */
const ARTIFACTS = resolve(process.cwd(), 'test-artifacts');
const describeBrowser = skipBrowserTests ? describe.skip : describe;
if (skipBrowserTests) console.warn('swagger-ui.e2e.ts skipped: SKIP_BROWSER_TESTS=1');

describeBrowser('Swagger UI in Chromium', () => {
  let service: RunningService;
  let browser: ChromiumSession | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH)) throw new Error(missingChromiumMessage());
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const file of ['swagger-ui.png', 'swagger-ui-failure.png']) rmSync(resolve(ARTIFACTS, file), { force: true });
    service = await startService();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('authorize with a bearer token, then "Try it out" on GET /virtual-services answers 200 with the seeded VirtualServices', async () => {
    const page = browser!.page;
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      const docs = await page.goto(`${service.baseUrl}/api/docs`, { waitUntil: 'load' });
      expect(docs?.status()).toBe(200);
      const operation = page.locator('#operations-istio-listVirtualServices');
      await operation.waitFor({ state: 'visible', timeout: 30_000 });
      await expect(page.locator('.info .title').innerText()).resolves.toContain('Istio API');

      // Authorize: the bearer scheme's value field, "Authorize", then "Close".
      await page.locator('.scheme-container button.authorize').click();
      const modal = page.locator('.dialog-ux .modal-ux');
      await modal.waitFor({ state: 'visible' });
      await modal.locator('.auth-container input').first().fill(service.token(['viewer'], 'swagger-ui'));
      await modal.locator('button.modal-btn.auth.authorize').click();
      await modal.locator('button.modal-btn.auth', { hasText: 'Logout' }).waitFor({ state: 'visible' });
      await modal.locator('button.btn-done').click();
      await modal.waitFor({ state: 'hidden' });
      await expect(page.locator('.scheme-container button.authorize').getAttribute('class')).resolves.toContain('locked');

      // Open the operation, "Try it out", namespace=payments, "Execute".
      await operation.locator('.opblock-summary').first().click();
      await operation.locator('button.try-out__btn').click();
      await operation.locator('tr[data-param-name="namespace"][data-param-in="query"] input').fill('payments');
      // The request the page sends on "Execute" (to prove it carried the token).
      const [request] = await Promise.all([
        page.waitForRequest((candidate) => candidate.url().includes('/api/v1/istio/virtual-services?'), { timeout: 30_000 }),
        operation.locator('button.execute').click(),
      ]);
      expect(request.url()).toBe(`${service.baseUrl}/api/v1/istio/virtual-services?namespace=payments`);
      expect(request.headers()['authorization']).toMatch(/^Bearer ey/);

      // The live response: status cell and body as Swagger UI renders them.
      const live = operation.locator('.responses-wrapper .live-responses-table');
      const statusCell = live.locator('tbody .response .response-col_status').first();
      await statusCell.waitFor({ state: 'visible', timeout: 30_000 });
      await expect(statusCell.innerText()).resolves.toMatch(/^\s*200\b/);
      const details = live.locator('tbody .response .response-col_description').first();
      await expect(details.innerText()).resolves.toContain('"payment-service"');
      const body = await details.locator('.response-body pre, pre').first().innerText();
      const items = JSON.parse(body) as Array<{ name: string; namespace: string }>;
      expect(items.map((item) => item.name)).toContain('payment-service');
      expect(items.every((item) => item.namespace === 'payments')).toBe(true);

      // The operation from its summary (padlock closed) down to the live response, in one viewport.
      await operation.evaluate((element) => element.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: resolve(ARTIFACTS, 'swagger-ui.png') });
      expect(pageErrors).toEqual([]);
      // Swagger UI is served whole by the service: nothing is fetched from the internet (a CDN or the validator badge).
      expect(browser!.offHostRequests).toEqual([]);
    } catch (error) {
      await page.screenshot({ path: resolve(ARTIFACTS, 'swagger-ui-failure.png'), fullPage: true }).catch(() => undefined);
      throw error;
    }
  });
});
