// Issue #10 item 1: demo data (public credentials) only on a loopback issuer or
// with GATEHOUSE_DEMO=1; a non-loopback start with demo data present is refused,
// naming what is there. And the first administrator's password rules.
import { describe, expect, it } from "vitest";
import { hashPassword } from "@/lib/auth/passwords";
import { checkDemoDataPolicy, demoDataAllowed, DemoDataRefusedError, findDemoData, isLoopbackIssuer, seedDemoData } from "@/lib/db/seed";
import { adminAccountSchema, setupFormSchema } from "@/lib/forms/setupForm";
import { readSettings } from "@/lib/settings";
import { describeEachBackend } from "../helpers/backends";

describe("isLoopbackIssuer", () => {
  it.each([
    "http://localhost:3000",
    "http://LOCALHOST:3000/",
    "http://127.0.0.1:3000",
    "http://127.8.9.10",
    "https://127.0.0.1/tenant",
    "http://[::1]:3000",
    "https://[::ffff:127.0.0.1]",
  ])("%s is loopback", (issuer) => {
    expect(isLoopbackIssuer(issuer)).toBe(true);
  });

  it.each([
    "https://id.example.com",
    "https://localhost.example.com",
    "https://example.localhost.evil.com",
    "https://128.0.0.1",
    "https://10.0.0.1",
    "https://0.0.0.0",
    "https://[::2]",
    "https://[::ffff:10.0.0.1]",
    "https://127.example.com",
    "not a url",
  ])("%s is not loopback", (issuer) => {
    expect(isLoopbackIssuer(issuer)).toBe(false);
  });
});

describe("the demo data rule at start", () => {
  const present = ["client postman", "user alice"];

  it("allows demo data on a loopback issuer, and anywhere with GATEHOUSE_DEMO=1", () => {
    expect(demoDataAllowed({ issuer: "http://localhost:3000", demo: false })).toBe(true);
    expect(demoDataAllowed({ issuer: "https://id.example.com", demo: true })).toBe(true);
    expect(demoDataAllowed({ issuer: "https://id.example.com", demo: false })).toBe(false);
    expect(() => checkDemoDataPolicy({ issuer: "http://localhost:3000", demo: false }, present)).not.toThrow();
    expect(() => checkDemoDataPolicy({ issuer: "https://id.example.com", demo: true }, present)).not.toThrow();
  });

  it("refuses a non-loopback issuer with demo data present, naming the records and GATEHOUSE_DEMO", () => {
    let error: unknown;
    try {
      checkDemoDataPolicy({ issuer: "https://id.example.com", demo: false }, present);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DemoDataRefusedError);
    const message = (error as Error).message;
    for (const text of ["https://id.example.com", "client postman", "user alice", "GATEHOUSE_DEMO=1"]) expect(message).toContain(text);
  });

  it("lets a non-loopback issuer start when no demo data is present", () => {
    expect(() => checkDemoDataPolicy({ issuer: "https://id.example.com", demo: false }, [])).not.toThrow();
  });

  it("reads GATEHOUSE_DEMO as 1/0 and refuses anything else clearly", () => {
    const env = (values: Record<string, string>) => ({ NODE_ENV: "test", ...values }) as NodeJS.ProcessEnv;
    expect(readSettings(env({ GATEHOUSE_DEMO: "1" })).demo).toBe(true);
    expect(readSettings(env({ GATEHOUSE_DEMO: "0" })).demo).toBe(false);
    expect(readSettings(env({})).demo).toBe(false);
    expect(() => readSettings(env({ GATEHOUSE_DEMO: "yes please" }))).toThrow(/GATEHOUSE_DEMO must be 1 or 0/);
  });
});

describeEachBackend("findDemoData", (db) => {
  it("names the demo clients and user with public credentials, not the seeded administrator", async () => {
    expect(await findDemoData(db)).toEqual([]);
    await seedDemoData(db, { hashPassword, adminPassword: "an-admin-password-for-tests" });
    expect(await findDemoData(db)).toEqual(["client postman", "client spa", "user alice"]);
    await db.sql.query(`DELETE FROM "applications" WHERE "client_id" = 'postman'`);
    expect(await findDemoData(db)).toEqual(["client spa", "user alice"]);
  });
});

describe("the first administrator's password (NIST SP 800-63B §5.1.1.2, 12 characters for admins)", () => {
  const account = { username: "root", email: "", name: "" };

  it("accepts a long passphrase and refuses short, published, repetitive or username passwords", () => {
    expect(adminAccountSchema.safeParse({ ...account, password: "correct horse battery" }).success).toBe(true);
    for (const password of ["elevenchars", "alice-password", "PASSWORD1234", "aaaaaaaaaaaaaaaa", "            "]) {
      expect(adminAccountSchema.safeParse({ ...account, password }).success, password).toBe(false);
    }
    expect(adminAccountSchema.safeParse({ ...account, username: "administrator1", password: "Administrator1" }).success).toBe(false);
  });

  it("the setup form also needs the password twice, the same", () => {
    const base = { token: "t", ...account, password: "correct horse battery" };
    expect(setupFormSchema.safeParse({ ...base, confirmPassword: "correct horse battery" }).success).toBe(true);
    const mismatch = setupFormSchema.safeParse({ ...base, confirmPassword: "correct horse batter" });
    expect(mismatch.success).toBe(false);
    expect(mismatch.error?.issues[0]?.path).toEqual(["confirmPassword"]);
  });
});
