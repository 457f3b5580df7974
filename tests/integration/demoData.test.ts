// Issue #10 item 1 against the built server and CLI: demo data (published
// credentials) only on a loopback issuer or with GATEHOUSE_DEMO=1. The first
// administrator of a production install: firstAdministrator.test.ts.
// Each test runs on one backend: the refusal and the warning are the start's
// bootstrap, the same on both stores (in-process on both:
// tests/unit/firstStartBootstrap.test.ts), so over HTTP on PostgreSQL, whose
// server starts cost a third of PGlite's; the seeding of an empty database
// happens only on the embedded PGlite, so its test runs there.
import { describe, expect, test } from "vitest";
import { PUBLIC_ISSUER, clientCredentials, freshStore, start, storeWithDemoData } from "../helpers/firstStart";
import { testBackend } from "../helpers/server";

const onPostgres = testBackend() === "postgres";

describe("demo data outside loopback", () => {
  test.runIf(onPostgres)("a start with a non-loopback issuer on a database holding demo data exits 1, naming them and GATEHOUSE_DEMO", async () => {
    const store = await storeWithDemoData();
    const refused = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/exited with 1/);
    for (const text of ["client postman", "client spa", "user alice", "GATEHOUSE_DEMO", PUBLIC_ISSUER]) expect(refused).toContain(text);

    // The same database on a loopback issuer (the tutorial's case) starts, without a warning, and shows the demo credentials.
    const local = await start(store);
    expect(local.output()).not.toContain("WARNING");
    expect((await clientCredentials(local.url)).status).toBe(200);
    expect(await (await fetch(local.url + "/")).text()).toContain("postman-secret");
  }, 180_000);

  test.runIf(onPostgres)("with GATEHOUSE_DEMO=1 it starts, warns on every start, and the demo credentials work and are shown", async () => {
    const store = await storeWithDemoData();
    for (let round = 0; round < 2; round++) {
      const server = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER, GATEHOUSE_DEMO: "1" });
      expect(server.output()).toMatch(/WARNING: GATEHOUSE_DEMO=1 .*client postman, client spa, user alice/);
      expect((await clientCredentials(server.url)).status).toBe(200);
      expect(await (await fetch(server.url + "/")).text()).toContain("postman-secret");
      await server.stop();
    }
  }, 180_000);

  // PGlite: the embedded default seeds an empty database, unless the issuer is not loopback (PostgreSQL never does).
  test.skipIf(onPostgres)("a fresh non-loopback start seeds nothing: the demo client is unknown and the home page shows no credentials", async () => {
    const store = await freshStore();
    const server = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER });
    expect(server.output()).not.toContain("demo data seeded");
    expect(await clientCredentials(server.url)).toEqual({ status: 401, error: "invalid_client" });
    const home = await (await fetch(server.url + "/")).text();
    expect(home).not.toContain("postman-secret");
    expect(home).not.toContain("alice-password");
  }, 180_000);
});

