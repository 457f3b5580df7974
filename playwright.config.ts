// Browser tests: @playwright/test driving Debian's Chromium headless shell, or its
// full Chromium (scripts/chromium.mjs; `npx playwright install` cannot download
// browsers here). Each worker starts one built server
// (the `gatehouse` fixture of tests/helpers/browser.ts, on PGlite or PostgreSQL
// like the other suites) that the specs it runs share; a spec that needs other
// settings starts its own. Files run in parallel, one worker per core: on two
// shared cores, three workers were no faster than two (2026-12-07, runs taken
// back to back: 169 s vs 193 s, then 203 s vs 183 s), and each worker adds a
// server and a Chromium.
import os from "node:os";
import { defineConfig } from "@playwright/test";
import { chromiumPath } from "./scripts/chromium.mjs";

/** One worker per core (at least one); more than that only adds servers and browsers fighting for the same cores. */
const WORKERS = Math.max(1, os.availableParallelism());

export default defineConfig({
  testDir: "tests/e2e",
  testMatch: "**/*.spec.ts",
  // The template store the workers' servers start on a copy of (tests/helpers/template.ts).
  globalSetup: "./tests/helpers/playwrightGlobalSetup.ts",
  outputDir: "tests/.tmp/playwright",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // A file's tests run in order in one worker (some build on each other); files run in parallel.
  fullyParallel: false,
  workers: WORKERS,
  forbidOnly: true,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: process.env.GATEHOUSE_PLAYWRIGHT_JSON ?? "tests/.tmp/results/playwright.json" }]],
  use: {
    browserName: "chromium",
    headless: true,
    screenshot: "only-on-failure",
    trace: "off",
    launchOptions: {
      executablePath: chromiumPath() ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
