// The purge's settings (lib/settings.ts, decision 0010).
import { describe, expect, it } from "vitest";
import { auditRetentionDays, readSettings as readSettingsFrom } from "@/lib/settings";

const readSettings = (env: Record<string, string>) => readSettingsFrom(env as NodeJS.ProcessEnv);

describe("GATEHOUSE_AUDIT_RETENTION_DAYS", () => {
  it("defaults to 90 days", () => {
    expect(auditRetentionDays(undefined)).toBe(90);
    expect(auditRetentionDays("")).toBe(90);
    expect(readSettings({}).auditRetentionDays).toBe(90);
  });

  it("takes whole days, or forever (null: keep every event)", () => {
    expect(auditRetentionDays("30")).toBe(30);
    expect(auditRetentionDays("forever")).toBeNull();
    expect(auditRetentionDays("Forever")).toBeNull();
    expect(readSettings({ GATEHOUSE_AUDIT_RETENTION_DAYS: "365" }).auditRetentionDays).toBe(365);
  });

  it.each(["0", "-1", "1.5", "ninety", "36501"])("refuses %s, naming the variable and what it takes", (value) => {
    expect(() => readSettings({ GATEHOUSE_AUDIT_RETENTION_DAYS: value })).toThrow(
      /GATEHOUSE_AUDIT_RETENTION_DAYS must be a number of days from 1 to 36500, or "forever"/,
    );
  });
});

describe("GATEHOUSE_PURGE_INTERVAL_SECONDS", () => {
  it("defaults to an hour and takes a positive number of seconds", () => {
    expect(readSettings({}).purgeIntervalSeconds).toBe(3600);
    expect(readSettings({ GATEHOUSE_PURGE_INTERVAL_SECONDS: "600" }).purgeIntervalSeconds).toBe(600);
    expect(() => readSettings({ GATEHOUSE_PURGE_INTERVAL_SECONDS: "0" })).toThrow(/GATEHOUSE_PURGE_INTERVAL_SECONDS must be a positive integer/);
  });
});
