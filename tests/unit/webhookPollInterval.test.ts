// GATEHOUSE_WEBHOOK_POLL_SECONDS: how often each instance looks for due webhook deliveries. The
// integration tests set it to 1 s so that a retry (due 5 s after a failure) is sent within a second of
// falling due instead of up to five.
import { describe, expect, it } from "vitest";
import { parseConfiguration, readSettings } from "@/lib/settings";

const env = (extra: Record<string, string>) => ({ GATEHOUSE_DATA_DIR: "/tmp/unused", ...extra });

describe("GATEHOUSE_WEBHOOK_POLL_SECONDS", () => {
  it("every 5 s by default; a positive whole number of seconds when set", () => {
    expect(readSettings(env({})).webhookPollSeconds).toBe(5);
    expect(readSettings(env({ GATEHOUSE_WEBHOOK_POLL_SECONDS: "1" })).webhookPollSeconds).toBe(1);
  });

  it("refuses zero, a fraction or a word, naming the variable", () => {
    for (const value of ["0", "0.5", "often"]) {
      expect(() => parseConfiguration(env({ GATEHOUSE_WEBHOOK_POLL_SECONDS: value })), value).toThrow(/GATEHOUSE_WEBHOOK_POLL_SECONDS/);
    }
  });
});
