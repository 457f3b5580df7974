// Which Chromium the browser tests and `npm run screenshots` drive: CHROMIUM_PATH when set, else
// Debian's headless shell (package chromium-headless-shell: the old headless mode, the browser
// Playwright itself uses for headless runs; about 40 % less CPU per test than the full browser
// here), else Debian's full Chromium. Playwright cannot download browsers on these machines.
import fs from "node:fs";

export const CHROMIUM_CANDIDATES = ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium"];

/** The browser to drive, or null when none is installed. */
export function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return fs.existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : null;
  return CHROMIUM_CANDIDATES.find((candidate) => fs.existsSync(candidate)) ?? null;
}
