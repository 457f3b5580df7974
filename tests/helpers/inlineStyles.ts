// Checks that a server-written HTML page's inline <style> elements are exactly
// what its Content-Security-Policy allows by hash, with no 'unsafe-inline'.
import { createHash } from "node:crypto";
import { expect } from "vitest";

export function expectStylesAllowedByHash(html: string, policy: string | null): void {
  expect(policy).not.toBeNull();
  expect(policy).not.toMatch(/unsafe-inline|unsafe-hashes/);
  expect(html).not.toMatch(/\sstyle="/); // style attributes would need 'unsafe-inline'
  const styleSrc = policy!.split(";").map((directive) => directive.trim()).find((directive) => directive.startsWith("style-src "));
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1]!);
  expect(styles.length).toBeGreaterThan(0);
  for (const css of styles) {
    expect(styleSrc).toContain(`'sha256-${createHash("sha256").update(css, "utf8").digest("base64")}'`);
  }
}
