// Issue #10 item 9: the slow-client limits are settings with defaults and clear errors.
import { describe, expect, it } from "vitest";
import { readSettings } from "@/lib/settings";
import { slowClientServerOptions } from "@/lib/server/slowClients";

const env = (vars: Record<string, string> = {}) => vars as NodeJS.ProcessEnv;

describe("HTTP limits settings", () => {
  it("default to a 10 s header timeout, a 30 s request timeout and 1000 connections", () => {
    expect(readSettings(env({})).http).toEqual({ headerTimeoutSeconds: 10, requestTimeoutSeconds: 30, maxConnections: 1000 });
  });

  it("read GATEHOUSE_HEADER_TIMEOUT_SECONDS, GATEHOUSE_REQUEST_TIMEOUT_SECONDS and GATEHOUSE_MAX_CONNECTIONS", () => {
    const settings = readSettings(env({ GATEHOUSE_HEADER_TIMEOUT_SECONDS: "2", GATEHOUSE_REQUEST_TIMEOUT_SECONDS: "5", GATEHOUSE_MAX_CONNECTIONS: "50" }));
    expect(settings.http).toEqual({ headerTimeoutSeconds: 2, requestTimeoutSeconds: 5, maxConnections: 50 });
    expect(slowClientServerOptions(settings.http)).toMatchObject({ headersTimeout: 2000, requestTimeout: 5000 });
  });

  it("refuse a bad value, naming the variable", () => {
    expect(() => readSettings(env({ GATEHOUSE_MAX_CONNECTIONS: "0" }))).toThrow(/GATEHOUSE_MAX_CONNECTIONS/);
    expect(() => readSettings(env({ GATEHOUSE_HEADER_TIMEOUT_SECONDS: "1.5" }))).toThrow(/GATEHOUSE_HEADER_TIMEOUT_SECONDS/);
    expect(() => readSettings(env({ GATEHOUSE_HEADER_TIMEOUT_SECONDS: "40" }))).toThrow(/must not be shorter than GATEHOUSE_HEADER_TIMEOUT_SECONDS/);
  });

  it("check the timeouts every second, so a slow client is cut when the setting says", () => {
    expect(slowClientServerOptions(readSettings(env({})).http).connectionsCheckingInterval).toBeLessThanOrEqual(1000);
  });
});
