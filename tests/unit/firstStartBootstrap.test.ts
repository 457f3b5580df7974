// Issue #10 item 1, in-process on PGlite and PostgreSQL: what a start's
// bootstrap (lib/db/bootstrap.ts) decides from what the database holds. The
// first-start suites over HTTP (tests/integration/demoData.test.ts,
// firstAdministrator.test.ts) run each test on one backend; these are their
// store-level rules on both: a fresh database gets keys and a setup link and no
// demo data; demo data present is refused on a non-loopback issuer unless
// GATEHOUSE_DEMO=1; a second start creates nothing; an administrator closes the
// setup link.
import { expect, it } from "vitest";
import { hashPassword } from "@/lib/auth/passwords";
import { bootstrapDatabase, type BootstrapOptions } from "@/lib/db/bootstrap";
import { DemoDataRefusedError, findDemoData } from "@/lib/db/seed";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import { describeEachBackend } from "../helpers/backends";
import { PROJECT_ROOT } from "../helpers/server";

const PUBLIC_ISSUER = "https://id.example.com";
const LOOPBACK_ISSUER = "http://localhost:3000";
const DEMO_RECORDS = ["client postman", "client spa", "user alice"];

describeEachBackend("a start's bootstrap of the first-start rules", (db) => {
  const encryption = new KeyEncryption("first-start-bootstrap-unit-secret-0123456789");

  /** One start's bootstrap, as lib/gatehouse.ts calls it, with the issuer and GATEHOUSE_DEMO given. */
  function start(issuer: string, options: Partial<BootstrapOptions> & { demo?: boolean } = {}) {
    const { demo = false, ...rest } = options;
    return bootstrapDatabase(db, { projectRoot: PROJECT_ROOT, encryption, seedDemoIfEmpty: null, demoPolicy: { issuer, demo }, issueSetupLink: true, ...rest });
  }

  it("a fresh start on a non-loopback issuer seeds nothing, creates the signing keys and opens a setup link", async () => {
    const report = await start(PUBLIC_ISSUER);
    expect(report.demoSeed).toBeNull();
    expect(report.demoPresent).toEqual([]);
    expect(report.createdKeys.map((key) => key.split(" ")[0])).toEqual(["RS256", "ES256"]);
    expect(report.setupToken?.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await findDemoData(db)).toEqual([]);
  });

  it("demo data (seeded into the empty database on loopback) is refused on a non-loopback issuer, naming it and GATEHOUSE_DEMO, and allowed with GATEHOUSE_DEMO=1", async () => {
    const seeded = await start(LOOPBACK_ISSUER, { seedDemoIfEmpty: { hashPassword, adminPassword: "an-admin-password-for-tests" } });
    expect(seeded.demoSeed?.created).toEqual(expect.arrayContaining(["client postman", "client spa", "user alice"]));
    expect(seeded.demoPresent).toEqual(DEMO_RECORDS);
    // The seeded administrator closes the setup link; the keys exist already.
    expect(seeded.setupToken).toBeNull();
    expect(seeded.createdKeys).toEqual([]);

    const refused = await start(PUBLIC_ISSUER).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(DemoDataRefusedError);
    for (const text of [...DEMO_RECORDS, "GATEHOUSE_DEMO", PUBLIC_ISSUER]) expect((refused as Error).message).toContain(text);

    for (let round = 0; round < 2; round++) {
      const allowed = await start(PUBLIC_ISSUER, { demo: true, seedDemoIfEmpty: { hashPassword, adminPassword: "unused" } });
      expect(allowed).toMatchObject({ demoSeed: null, demoPresent: DEMO_RECORDS, createdKeys: [], setupToken: null });
    }
  });
});
