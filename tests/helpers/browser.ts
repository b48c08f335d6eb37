/** Debian's chromium driven by playwright-core, headless, with a fresh profile. */
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { makeTempDir, requireProgram } from "./services";

export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const executablePath = requireProgram("chromium", "chromium");
  const profile = makeTempDir("chromium");
  const context = await chromium.launchPersistentContext(profile.dir, {
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      profile.remove();
    },
  };
}

/** Saves a full-page screenshot as `<SCREENSHOT_DIR>/<name>.png` when SCREENSHOT_DIR is set (for looking at the page by eye). */
export async function maybeScreenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.SCREENSHOT_DIR;
  if (dir) await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
