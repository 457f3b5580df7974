// Every browser spec must use the `test` of tests/helpers/browser.ts, which fails a test on any
// Content-Security-Policy violation (docs/decisions/0013-security-headers-and-files.md): a new spec
// importing Playwright's own `test` would silently skip that check.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const e2e = path.resolve(__dirname, "../e2e");

describe("browser specs check for CSP violations", () => {
  it("every spec imports test from ../helpers/browser, and nothing but types from @playwright/test", () => {
    const specs = fs.readdirSync(e2e).filter((name) => name.endsWith(".spec.ts"));
    expect(specs.length).toBeGreaterThan(5);
    const offenders = specs.filter((name) => {
      const text = fs.readFileSync(path.join(e2e, name), "utf8");
      const fromPlaywright = /import\s+(type\s+)?\{[^}]*\}\s+from\s+["']@playwright\/test["']/g;
      const valueImport = [...text.matchAll(fromPlaywright)].some((match) => !match[1] && /\b(?<!type\s)test\b/.test(match[0]));
      const usesHelper = /import\s+\{[^}]*\btest\b[^}]*\}\s+from\s+["']\.\.\/helpers\/browser["']/.test(text);
      return valueImport || !usesHelper;
    });
    expect(offenders).toEqual([]);
  });
});
