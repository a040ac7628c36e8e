// Headless Chromium for the browser tests: Debian's package ($CHROMIUM, default /usr/bin/chromium) driven by
// playwright-core, with the flags that keep it quiet and offline (no sync, updates or background traffic).
import { chromium } from "playwright-core";

/** Launch it; `extraArgs` are added to the common flags (e.g. the autoplay policy). Returns playwright's Browser. */
export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
      ...extraArgs,
    ],
  });
}
