// GATEHOUSE_WORKERS (decision 0016): the default per backend, the refusal on
// PGlite, and the crash-loop rule of the cluster primary.
import { describe, expect, it } from "vitest";
import { readSettings, serverWorkers } from "@/lib/settings";
import { DEFAULT_RESTART_POLICY, tooManyDeaths } from "@/lib/server/workers";

const POSTGRES = "postgresql://postgres@127.0.0.1:5432/gatehouse";
const env = (values: Record<string, string>) => values as NodeJS.ProcessEnv;

describe("GATEHOUSE_WORKERS", () => {
  it("defaults to every core on PostgreSQL and to one process on PGlite", () => {
    expect(serverWorkers(undefined, POSTGRES, 8)).toBe(8);
    expect(serverWorkers("", POSTGRES, 8)).toBe(8);
    expect(serverWorkers(undefined, undefined, 8)).toBe(1);
  });

  it("takes an explicit count on PostgreSQL, and 1 anywhere", () => {
    expect(serverWorkers("3", POSTGRES, 8)).toBe(3);
    expect(serverWorkers("1", POSTGRES, 8)).toBe(1);
    expect(serverWorkers("1", undefined, 8)).toBe(1);
  });

  it("refuses more than one worker on PGlite, naming the variable and the way out", () => {
    expect(() => serverWorkers("2", undefined, 8)).toThrow(/GATEHOUSE_WORKERS=2 needs DATABASE_URL \(PostgreSQL\)/);
    expect(() => readSettings(env({ GATEHOUSE_WORKERS: "4" }))).toThrow(/GATEHOUSE_WORKERS=4 needs DATABASE_URL/);
  });

  it("refuses what is not a positive whole number", () => {
    for (const value of ["0", "-1", "two", "1.5"]) expect(() => serverWorkers(value, POSTGRES, 8)).toThrow(/GATEHOUSE_WORKERS must be a positive integer/);
  });

  it("is part of the settings", () => {
    expect(readSettings(env({ DATABASE_URL: POSTGRES, GATEHOUSE_WORKERS: "2" })).workers).toBe(2);
    expect(readSettings(env({})).workers).toBe(1);
  });
});

describe("the primary's crash-loop rule", () => {
  const policy = { deaths: 3, withinMs: 10_000 };

  it("allows as many deaths as the policy says within its window, not one more", () => {
    const deaths = [1_000, 2_000, 3_000];
    expect(tooManyDeaths(deaths, 3_000, policy)).toBe(false);
    deaths.push(4_000);
    expect(tooManyDeaths(deaths, 4_000, policy)).toBe(true);
  });

  it("forgets deaths older than the window", () => {
    const deaths = [1_000, 2_000, 3_000, 14_000];
    expect(tooManyDeaths(deaths, 14_000, policy)).toBe(false);
    expect(deaths).toEqual([14_000]);
  });

  it("by default gives up on the sixth death within a minute", () => {
    expect(DEFAULT_RESTART_POLICY).toEqual({ deaths: 5, withinMs: 60_000 });
  });
});
