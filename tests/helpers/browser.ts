/** Debian's chromium driven by playwright-core, headless, with a fresh profile. */
import { chromium, type BrowserContext } from "playwright-core";
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
