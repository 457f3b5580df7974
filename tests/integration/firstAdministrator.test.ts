// Issue #10 item 1 against the built server and CLI: the first administrator
// of a production install without any default password, by a one-time setup
// link or by `create-admin` with the password on stdin. Over HTTP on PostgreSQL
// only (tests/helpers/integrationBackends.ts): the setup link's rules are the
// store's, tested in-process on both backends (tests/unit/setupTokens.test.ts,
// firstStartBootstrap.test.ts); the pages and the CLI are the same on both.
import { describe, expect, test } from "vitest";
import { PUBLIC_ISSUER, freshStore, start, runCliWithStdin, submitSetupForm } from "../helpers/firstStart";
import { cookieJar, signInOverHttp } from "../helpers/portal";

describe("the first administrator without a default password", () => {
  test("the setup link printed at a fresh start creates the administrator once; the link is then dead; sign-in works", async () => {
    const store = await freshStore();
    const server = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER });
    const printed = /\/setup\?token=([A-Za-z0-9_-]{43})/.exec(server.output());
    expect(printed, server.output()).not.toBeNull();
    // The link names the public issuer; the test reaches the same server on its local address.
    const pageUrl = `${server.url}/setup?token=${printed![1]}`;
    const page = await fetch(pageUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("This Gatehouse has no administrator yet");

    const account = { username: "ops", email: "ops@example.com", name: "Operations", password: "a long setup passphrase", confirmPassword: "a long setup passphrase" };
    const created = await submitSetupForm(pageUrl, html, account);
    expect(created.status).toBe(200);
    expect(created.html).toContain("Administrator <strong>ops</strong> created");

    const again = await submitSetupForm(pageUrl, html, { ...account, username: "intruder", email: "" });
    expect(again.html).toContain("This setup link cannot be used");
    expect(await (await fetch(pageUrl)).text()).toContain("This setup link cannot be used");

    const signIn = await signInOverHttp(server.url, "ops", account.password);
    expect(signIn.response.status).toBe(303);
    const dashboard = await fetch(`${server.url}/dashboard`, { headers: { cookie: cookieJar(signIn.response) }, redirect: "manual" });
    expect(dashboard.status).toBe(200);
    expect((await signInOverHttp(server.url, "intruder", account.password)).cookie).toBe("");

    // Once an administrator exists, a restart prints no new link.
    await server.stop();
    const restarted = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER });
    expect(restarted.output()).not.toContain("/setup?token=");
  }, 180_000);

  test("create-admin reads the password from stdin, refuses a weak one, and the administrator can sign in", async () => {
    const store = await freshStore();
    const weak = await runCliWithStdin(store, ["create-admin", "--username", "ops"], "short\n");
    expect(weak.code).toBe(2);
    expect(weak.output).toContain("at least 12 characters");

    const made = await runCliWithStdin(store, ["create-admin", "--username", "ops", "--email", "ops@example.com"], "a long cli passphrase\n");
    expect(made.code, made.output).toBe(0);
    expect(made.output).toContain("administrator ops created");
    const twice = await runCliWithStdin(store, ["create-admin", "--username", "ops"], "another long passphrase\n");
    expect(twice.code).toBe(2);
    expect(twice.output).toContain("already has this username");

    const server = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER });
    expect(server.output()).not.toContain("/setup?token=");
    const signIn = await signInOverHttp(server.url, "ops", "a long cli passphrase");
    expect(signIn.response.status).toBe(303);
    const dashboard = await fetch(`${server.url}/dashboard`, { headers: { cookie: signIn.cookie }, redirect: "manual" });
    expect(dashboard.status).toBe(200);
  }, 180_000);
});
