// lib/db/clientAdmin.ts in-process on both backends (an in-memory PGlite and a
// throwaway PostgreSQL database, tests/helpers/backends.ts): the dashboard's
// client queries, the update transaction, and what a deletion takes with it.
// Store-level, so a unit test (until issue #11 it ran in the integration suite
// on a server's store, on each backend).
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureStandardScopes } from "@/lib/db/bootstrap";
import type { Database } from "@/lib/db/client";
import {
  deleteClient,
  findClientByApplicationId,
  insertClient,
  UnknownScopesError,
  listClients,
  listScopeChoices,
  replaceClientSecretHashes,
  setClientEnabled,
  setClientManagementApi,
  updateClient,
  type NewClient,
} from "@/lib/db/clientAdmin";
import { createClientStore } from "@/lib/db/repositories";
import { clientSecretMatches, hashClientSecret } from "@/lib/oauth/secrets";
import { describeEachBackend } from "../helpers/backends";

/** The database of the backend block running now (set by its beforeAll; the blocks run one after the other). */
let db: Database;

function newClient(overrides: Partial<NewClient> = {}): NewClient {
  return {
    clientId: `client-${randomUUID().slice(0, 8)}`,
    displayName: "Some App",
    clientType: "public",
    consentType: "explicit",
    clientSecretHashes: [],
    redirectUris: ["https://app.example.com/callback"],
    postLogoutRedirectUris: [],
    permissions: ["ept:authorization", "ept:token", "gt:authorization_code", "rst:code"],
    requirements: ["ft:pkce"],
    accessTokenLifetime: null,
    authorizationCodeLifetime: 30,
    idTokenLifetime: null,
    refreshTokenLifetime: null,
    refreshTokenAbsoluteLifetime: null,
    accessTokenSigningAlg: null,
    idTokenSigningAlg: null,
    ...overrides,
  };
}

async function created(overrides: Partial<NewClient> = {}) {
  const result = await insertClient(db, newClient(overrides));
  if (result.status !== "created") throw new Error("not created");
  return result.client;
}

describeEachBackend("lib/db/clientAdmin", (backendDb) => {
  beforeAll(async () => {
    db = backendDb;
    await ensureStandardScopes(db);
  });

  describe("insertClient / findClientByApplicationId", () => {
    it("stores every setting and the protocol core reads it back on the next request", async () => {
      const client = await created({ clientId: "stored-app", consentType: "implicit", accessTokenLifetime: 900 });
      expect(client).toMatchObject({ clientId: "stored-app", consentType: "implicit", accessTokenLifetime: 900, authorizationCodeLifetime: 30, enabled: true });
      expect(await findClientByApplicationId(db, client.id)).toEqual(client);
      expect(await createClientStore(db).findClientByClientId("stored-app")).toEqual(client);
    });

    it("a taken client_id is reported, not thrown", async () => {
      await created({ clientId: "taken-id" });
      expect(await insertClient(db, newClient({ clientId: "taken-id" }))).toEqual({ status: "client_id_taken" });
    });

    it("a permission for a scope that does not exist (deleted meanwhile) writes nothing and names the scope", async () => {
      const attempt = insertClient(db, newClient({ clientId: "dangling-scope", permissions: ["ept:token", "scp:no-such-scope"] }));
      await expect(attempt).rejects.toBeInstanceOf(UnknownScopesError);
      await expect(attempt).rejects.toMatchObject({ scopes: ["no-such-scope"] });
      expect(await createClientStore(db).findClientByClientId("dangling-scope")).toBeNull();
    });

    it("an unknown or malformed id finds nothing", async () => {
      expect(await findClientByApplicationId(db, randomUUID())).toBeNull();
      expect(await findClientByApplicationId(db, "not-a-uuid")).toBeNull();
    });
  });

  describe("listClients", () => {
    beforeAll(async () => {
      for (let index = 0; index < 5; index++) await created({ clientId: `paged-${index}`, displayName: `Paged App ${index}` });
      await created({ clientId: "percent-app", displayName: "100% Real_App" });
    });

    it("pages by display name with hasNext", async () => {
      const first = await listClients(db, { search: "paged-", pageSize: 2 });
      expect(first.clients.map((client) => client.clientId)).toEqual(["paged-0", "paged-1"]);
      expect(first.hasNext).toBe(true);
      const last = await listClients(db, { search: "paged-", pageSize: 2, page: 3 });
      expect(last.clients.map((client) => client.clientId)).toEqual(["paged-4"]);
      expect(last.hasNext).toBe(false);
    });

    it("searches client_id and display name, case-insensitively, with % and _ taken literally", async () => {
      expect((await listClients(db, { search: "PAGED APP 3" })).clients.map((client) => client.clientId)).toEqual(["paged-3"]);
      expect((await listClients(db, { search: "100%" })).clients.map((client) => client.clientId)).toEqual(["percent-app"]);
      expect((await listClients(db, { search: "l_App" })).clients.map((client) => client.clientId)).toEqual(["percent-app"]);
      expect((await listClients(db, { search: "%" })).clients.map((client) => client.clientId)).toEqual(["percent-app"]);
      expect((await listClients(db, { search: "a\u0000b" })).clients).toEqual([]);
    });
  });

  describe("updateClient", () => {
    it("decides from the locked row and writes in one transaction", async () => {
      const client = await created({ permissions: ["ept:token", "custom:keep"] });
      const outcome = await updateClient(db, client.id, (current) => ({
        ...newClient(),
        displayName: "Renamed",
        clientType: "confidential",
        clientSecretHashes: [hashClientSecret("s3cret")],
        permissions: [...current.permissions.filter((permission) => permission.startsWith("custom:")), "gt:client_credentials"],
        redirectUris: [],
      }));
      expect(outcome!.before).toEqual(client);
      expect(outcome!.after).toMatchObject({ clientId: client.clientId, displayName: "Renamed", clientType: "confidential", permissions: ["custom:keep", "gt:client_credentials"] });
      const reread = await createClientStore(db).findClientByClientId(client.clientId);
      expect(clientSecretMatches("s3cret", reread!.clientSecretHashes)).toBe(true);
    });

    it("IT-02 the signing algorithms are stored and read back by the store the token endpoint uses; null is the default again", async () => {
      const client = await created({ idTokenSigningAlg: "ES256" });
      expect(client).toMatchObject({ idTokenSigningAlg: "ES256", accessTokenSigningAlg: null });
      await updateClient(db, client.id, () => newClient({ accessTokenSigningAlg: "ES256", idTokenSigningAlg: "RS256" }));
      expect(await createClientStore(db).findClientByClientId(client.clientId)).toMatchObject({ accessTokenSigningAlg: "ES256", idTokenSigningAlg: "RS256" });
      await updateClient(db, client.id, () => newClient());
      expect(await createClientStore(db).findClientByClientId(client.clientId)).toMatchObject({ accessTokenSigningAlg: null, idTokenSigningAlg: null });
    });

    it("nothing is written when deciding fails, and an unknown client is null", async () => {
      const client = await created();
      await expect(updateClient(db, client.id, () => { throw new Error("refused"); })).rejects.toThrow("refused");
      expect(await findClientByApplicationId(db, client.id)).toEqual(client);
      expect(await updateClient(db, randomUUID(), () => newClient())).toBeNull();
    });
  });

  describe("enable, secrets, delete", () => {
    it("setClientEnabled flips the flag the protocol core checks", async () => {
      const client = await created();
      expect(await setClientEnabled(db, client.id, false)).toEqual({ clientId: client.clientId });
      expect((await createClientStore(db).findClientByClientId(client.clientId))!.enabled).toBe(false);
      await setClientEnabled(db, client.id, true);
      expect((await createClientStore(db).findClientByClientId(client.clientId))!.enabled).toBe(true);
      expect(await setClientEnabled(db, randomUUID(), false)).toBeNull();
    });

    it("replaceClientSecretHashes replaces every hash of a confidential client, and refuses a public one", async () => {
      const confidential = await created({ clientType: "confidential", clientSecretHashes: [hashClientSecret("old-1"), hashClientSecret("old-2")] });
      expect(await replaceClientSecretHashes(db, confidential.id, [hashClientSecret("new")])).toEqual({ clientId: confidential.clientId });
      const hashes = (await findClientByApplicationId(db, confidential.id))!.clientSecretHashes;
      expect(clientSecretMatches("new", hashes)).toBe(true);
      expect(clientSecretMatches("old-1", hashes) || clientSecretMatches("old-2", hashes)).toBe(false);

      const publicClient = await created();
      expect(await replaceClientSecretHashes(db, publicClient.id, [hashClientSecret("x")])).toBeNull();
      expect((await findClientByApplicationId(db, publicClient.id))!.clientSecretHashes).toEqual([]);
    });

    it("deleteClient takes its authorizations, tokens and pending interactions with it, and nothing else", async () => {
      const doomed = await created();
      const kept = await created();
      const user = randomUUID();
      await db.sql.query(`INSERT INTO "users" ("id", "username", "updated_at") VALUES ($1::uuid, $2, now())`, [user, `user-${user.slice(0, 8)}`]);
      for (const application of [doomed.id, kept.id]) {
        const [authorization] = await db.sql.query<{ id: string }>(
          `INSERT INTO "authorizations" ("id", "application_id", "user_id", "scopes", "updated_at") VALUES (gen_random_uuid(), $1::uuid, $2::uuid, '{openid}', now()) RETURNING "id"`,
          [application, user],
        );
        for (const kind of ["access_token", "refresh_token"]) {
          await db.sql.query(
            `INSERT INTO "tokens" ("id", "kind", "subject", "application_id", "authorization_id", "expires_at") VALUES (gen_random_uuid(), $1, $2, $3::uuid, $4::uuid, now() + interval '1 hour')`,
            [kind, user, application, authorization!.id],
          );
        }
        await db.sql.query(
          `INSERT INTO "interactions" ("id", "application_id", "request", "expires_at") VALUES ($1, $2::uuid, '{}'::jsonb, now() + interval '1 hour')`,
          [randomUUID(), application],
        );
      }
      expect(await deleteClient(db, doomed.id)).toEqual({ clientId: doomed.clientId, authorizations: 1, tokens: 2 });
      for (const table of ["authorizations", "tokens", "interactions"]) {
        const count = async (application: string) =>
          Number((await db.sql.query<{ count: string }>(`SELECT count(*) AS "count" FROM "${table}" WHERE "application_id" = $1::uuid`, [application]))[0]!.count);
        expect(await count(doomed.id), table).toBe(0);
        expect(await count(kept.id), table).toBeGreaterThan(0);
      }
      expect(await findClientByApplicationId(db, doomed.id)).toBeNull();
      expect(await deleteClient(db, doomed.id)).toBeNull();
    });

    it("setClientManagementApi marks a confidential client only; making it public clears the mark", async () => {
      const service = await created({ clientType: "confidential", clientSecretHashes: [hashClientSecret("s")], permissions: ["ept:token", "gt:client_credentials"] });
      const browserApp = await created();
      expect(service.managementApi).toBe(false);
      expect(await setClientManagementApi(db, service.id, true)).toEqual({ clientId: service.clientId });
      expect((await createClientStore(db).findClientByClientId(service.clientId))?.managementApi).toBe(true);
      expect(await setClientManagementApi(db, browserApp.id, true)).toBeNull();
      expect((await findClientByApplicationId(db, browserApp.id))?.managementApi).toBe(false);
      expect(await setClientManagementApi(db, randomUUID(), true)).toBeNull();

      // An update that keeps it confidential keeps the mark; one that makes it public drops it with its secret.
      const keep = await updateClient(db, service.id, (current) => ({ ...current, displayName: "Renamed" }));
      expect(keep?.after.managementApi).toBe(true);
      const toPublic = await updateClient(db, service.id, (current) => ({ ...current, clientType: "public", clientSecretHashes: [] }));
      expect(toPublic?.after.managementApi).toBe(false);
      expect(await setClientManagementApi(db, service.id, false)).toEqual({ clientId: service.clientId });
    });

    it("listScopeChoices lists the scopes table for the form", async () => {
      expect((await listScopeChoices(db)).map((scope) => scope.name)).toEqual(expect.arrayContaining(["email", "offline_access", "openid", "profile"]));
    });
  });
});
