/**
 * Headless Chromium for the browser tests: the system chromium driven by playwright-core, a fresh profile,
 * a fake camera fed from a y4m file, and every request that would leave loopback blocked and recorded.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return LOOPBACK_HOSTS.has(hostname);
}

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** `cameraVideo`: a .y4m file Chromium plays as the camera. */
export async function launchBrowser(options: { cameraVideo?: string } = {}): Promise<TestBrowser> {
  // chromium.launch adds --headless and its own fresh, empty --user-data-dir, removed on close.
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    // The local liveness endpoint uses a self-signed localhost certificate.
    '--ignore-certificate-errors',
  ];
  if (options.cameraVideo) args.push(`--use-file-for-fake-video-capture=${options.cameraVideo}`);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** What a page did that a test asserts on: requests blocked for leaving loopback, console errors, page errors. */
export interface PageRecord {
  blocked: string[];
  consoleErrors: string[];
  pageErrors: string[];
  webSockets: string[];
}

export async function openPage(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; isMobile?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; record: PageRecord }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1024, height: 800 },
    isMobile: options.isMobile ?? false,
    hasTouch: options.isMobile ?? false,
    ignoreHTTPSErrors: true,
  });
  const record: PageRecord = { blocked: [], consoleErrors: [], pageErrors: [], webSockets: [] };
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    record.blocked.push(url);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(
    (url) => !isLoopback(url.href),
    (ws) => {
      record.blocked.push(ws.url());
      return ws.close();
    },
  );
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') record.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => record.pageErrors.push(error.message));
  page.on('websocket', (ws) => record.webSockets.push(ws.url()));
  return { context, page, record };
}
