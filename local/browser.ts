import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium: the tests and screenshots drive it rather than a browser Playwright downloads. */
export const chromiumPath = '/usr/bin/chromium';

/** Headless, no sandbox (containers, root), and nothing that reaches out to Google's services on its own. */
export const chromiumArgs: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A laptop's screen, the size the live view is laid out for. */
export const laptopViewport = { width: 1366, height: 768 } as const;

/** Chromium is not where the tests expect it. */
export class ChromiumMissing extends Error {
  constructor(path: string, cause?: unknown) {
    super(`No chromium at ${path}: install Debian's chromium package: apt-get install -y chromium`, { cause });
    this.name = 'ChromiumMissing';
  }
}

export interface LaunchOptions {
  readonly executablePath?: string;
  readonly viewport?: { readonly width: number; readonly height: number };
}

export interface LocalBrowser {
  /** The browser's one context, on a fresh profile. */
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Starts headless chromium on a fresh profile (its own `--user-data-dir` in the temp folder,
 * removed on close). Playwright passes the profile itself: it refuses `--user-data-dir` in `args`.
 */
export async function launchBrowser(options: LaunchOptions = {}): Promise<LocalBrowser> {
  const executablePath = options.executablePath ?? chromiumPath;
  try {
    await access(executablePath, constants.X_OK);
  } catch (error) {
    throw new ChromiumMissing(executablePath, error);
  }
  const profile = await mkdtemp(join(tmpdir(), 'live-view-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [...chromiumArgs],
      viewport: options.viewport ?? laptopViewport,
      deviceScaleFactor: 1,
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  // A persistent context opens with one blank tab: the first page asked for is that one.
  let initial: Page | undefined = context.pages()[0];
  return {
    context,
    async newPage() {
      const page = initial ?? (await context.newPage());
      initial = undefined;
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
