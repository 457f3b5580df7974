import { describe, expect, it } from "vitest";
import { authenticateClient, readPresentedCredentials } from "@/lib/oauth/clientAuthentication";
import { OAuthError } from "@/lib/oauth/errors";
import { FormParameters } from "@/lib/oauth/http";
import { InMemoryClientStore, basicHeader, makeClient } from "./fakes";

const SECRET = "s3cret-value-that-is-long-enough";

function setup() {
  const store = new InMemoryClientStore([
    makeClient({ clientId: "service-a", secret: SECRET }),
    makeClient({ clientId: "spa", clientType: "public" }),
    makeClient({ clientId: "disabled", secret: SECRET, enabled: false }),
    makeClient({ clientId: "a b:c%", secret: "p@ss word:%+&=" }),
  ]);
  return store;
}

function form(values: Record<string, string> = {}): FormParameters {
  return FormParameters.fromSearchParams(new URLSearchParams(values));
}

function headers(authorization?: string): Headers {
  return new Headers(authorization ? { Authorization: authorization } : {});
}

async function failure(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

describe("authenticateClient: accepted methods", () => {
  it("CA-01 client_secret_basic", async () => {
    const result = await authenticateClient(headers(basicHeader("service-a", SECRET)), form(), setup());
    expect(result.method).toBe("client_secret_basic");
    expect(result.client.clientId).toBe("service-a");
  });

  it("CA-01 client_secret_post", async () => {
    const result = await authenticateClient(headers(), form({ client_id: "service-a", client_secret: SECRET }), setup());
    expect(result.method).toBe("client_secret_post");
    expect(result.client.clientId).toBe("service-a");
  });

  it("none: a public client sends client_id alone", async () => {
    const result = await authenticateClient(headers(), form({ client_id: "spa" }), setup());
    expect(result.method).toBe("none");
    expect(result.client.clientType).toBe("public");
  });

  it("Basic with a matching client_id in the body is accepted", async () => {
    const result = await authenticateClient(headers(basicHeader("service-a", SECRET)), form({ client_id: "service-a" }), setup());
    expect(result.method).toBe("client_secret_basic");
  });

  it("CA-04 Basic credentials are form-urlencoded before base64 (RFC 6749 App. B)", async () => {
    const header = basicHeader("a b:c%", "p@ss word:%+&=");
    // The encoded form really is what goes into base64: '+' for space, %3A for ':', %25 for '%'.
    expect(Buffer.from(header.slice(6), "base64").toString()).toBe("a+b%3Ac%25:p%40ss+word%3A%25%2B%26%3D");
    const result = await authenticateClient(headers(header), form(), setup());
    expect(result.client.clientId).toBe("a b:c%");
  });

  it("CA-04 percent-encoded spaces (%20) decode as well", async () => {
    const header = `Basic ${Buffer.from("a%20b%3Ac%25:p%40ss%20word%3A%25%2B%26%3D").toString("base64")}`;
    const result = await authenticateClient(headers(header), form(), setup());
    expect(result.client.clientId).toBe("a b:c%");
  });

  it("the scheme name is case-insensitive", async () => {
    const header = basicHeader("service-a", SECRET).replace("Basic", "basic");
    const result = await authenticateClient(headers(header), form(), setup());
    expect(result.method).toBe("client_secret_basic");
  });
});

describe("authenticateClient: refusals", () => {
  it("CA-03 Basic header plus client_secret in the body is invalid_request", async () => {
    const error = await failure(
      authenticateClient(headers(basicHeader("service-a", SECRET)), form({ client_secret: SECRET }), setup()),
    );
    expect(error.code).toBe("invalid_request");
    expect(error.status).toBe(400);
  });

  it("CA-03 a body client_id that differs from the Basic one is invalid_request", async () => {
    const store = setup();
    const error = await failure(
      authenticateClient(headers(basicHeader("service-a", SECRET)), form({ client_id: "spa" }), store),
    );
    expect(error.code).toBe("invalid_request");
    expect(store.lookups).toEqual([]);
  });

  it.each([
    ["no credentials", "Basic"],
    ["characters outside base64", "Basic !!!notbase64!!!"],
    ["no colon", `Basic ${Buffer.from("service-a").toString("base64")}`],
    ["empty client id", `Basic ${Buffer.from(":secret").toString("base64")}`],
    ["bad percent-encoding", `Basic ${Buffer.from("service-a:100%").toString("base64")}`],
    ["two credentials", `Basic ${Buffer.from("a:b").toString("base64")} ${Buffer.from("c:d").toString("base64")}`],
  ])("CA-04 a malformed Basic header (%s) is invalid_request", async (_label, header) => {
    const store = setup();
    const error = await failure(authenticateClient(headers(header), form(), store));
    expect(error.code).toBe("invalid_request");
    expect(store.lookups).toEqual([]);
  });

  it("another Authorization scheme is invalid_request", async () => {
    const error = await failure(authenticateClient(headers("Bearer abc.def.ghi"), form({ client_id: "spa" }), setup()));
    expect(error.code).toBe("invalid_request");
  });

  it("CA-02 a wrong secret with Basic is 401 invalid_client with WWW-Authenticate", async () => {
    const error = await failure(authenticateClient(headers(basicHeader("service-a", "wrong")), form(), setup()));
    expect(error.code).toBe("invalid_client");
    expect(error.status).toBe(401);
    expect(error.headers["WWW-Authenticate"]).toMatch(/^Basic realm="[^"]+"/);
  });

  it("a wrong secret in the body is 401 invalid_client without WWW-Authenticate", async () => {
    const error = await failure(
      authenticateClient(headers(), form({ client_id: "service-a", client_secret: "wrong" }), setup()),
    );
    expect(error.code).toBe("invalid_client");
    expect(error.status).toBe(401);
    expect(error.headers["WWW-Authenticate"]).toBeUndefined();
  });

  it("an unknown client is 401 invalid_client, with the challenge only when Basic was used", async () => {
    const viaBasic = await failure(authenticateClient(headers(basicHeader("nobody", SECRET)), form(), setup()));
    expect(viaBasic.code).toBe("invalid_client");
    expect(viaBasic.status).toBe(401);
    expect(viaBasic.headers["WWW-Authenticate"]).toBeDefined();

    const viaPost = await failure(authenticateClient(headers(), form({ client_id: "nobody", client_secret: SECRET }), setup()));
    expect(viaPost.code).toBe("invalid_client");
    expect(viaPost.headers["WWW-Authenticate"]).toBeUndefined();
  });

  it("a disabled client is refused even with the right secret, with the same answer as an unknown one", async () => {
    const disabled = await failure(authenticateClient(headers(basicHeader("disabled", SECRET)), form(), setup()));
    const unknown = await failure(authenticateClient(headers(basicHeader("nobody", SECRET)), form(), setup()));
    expect(disabled.code).toBe("invalid_client");
    expect(disabled.status).toBe(401);
    expect(disabled.description).toBe(unknown.description);
  });

  it("CA-05 a public client that sends a secret is invalid_client", async () => {
    const viaPost = await failure(authenticateClient(headers(), form({ client_id: "spa", client_secret: "x" }), setup()));
    expect(viaPost.code).toBe("invalid_client");
    expect(viaPost.status).toBe(401);
    const viaBasic = await failure(authenticateClient(headers(basicHeader("spa", "x")), form(), setup()));
    expect(viaBasic.code).toBe("invalid_client");
    expect(viaBasic.headers["WWW-Authenticate"]).toBeDefined();
  });

  it("a confidential client without a secret is invalid_client pointing at public clients and PKCE", async () => {
    const error = await failure(authenticateClient(headers(), form({ client_id: "service-a" }), setup()));
    expect(error.code).toBe("invalid_client");
    expect(error.status).toBe(401);
    expect(error.description).toContain("public client");
    expect(error.description).toContain("PKCE");
  });

  it("no credentials at all is invalid_client", async () => {
    const error = await failure(authenticateClient(headers(), form({ grant_type: "client_credentials" }), setup()));
    expect(error.code).toBe("invalid_client");
    expect(error.status).toBe(401);
  });

  it("CA-06 a JWT client assertion is refused with invalid_client", async () => {
    const store = setup();
    const error = await failure(
      authenticateClient(
        headers(),
        form({
          client_id: "service-a",
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: "eyJhbGciOiJIUzI1NiJ9.e30.sig",
        }),
        store,
      ),
    );
    expect(error.code).toBe("invalid_client");
    expect(store.lookups).toEqual([]);
  });

  it("a client with rotated secrets accepts each stored secret", async () => {
    const store = new InMemoryClientStore([makeClient({ clientId: "rotating", secret: "old-secret" })]);
    store.clients.get("rotating")!.clientSecretHashes.push(...makeClient({ secret: "new-secret" }).clientSecretHashes);
    for (const secret of ["old-secret", "new-secret"]) {
      const result = await authenticateClient(headers(basicHeader("rotating", secret)), form(), store);
      expect(result.client.clientId).toBe("rotating");
    }
    await failure(authenticateClient(headers(basicHeader("rotating", "other")), form(), store));
  });
});

describe("readPresentedCredentials", () => {
  it("reports the method without touching storage", () => {
    expect(readPresentedCredentials(headers(), form({ client_id: "x" }))).toEqual({ method: "none", clientId: "x" });
    expect(readPresentedCredentials(headers(), form({ client_id: "x", client_secret: "y" }))).toEqual({
      method: "client_secret_post",
      clientId: "x",
      secret: "y",
    });
    expect(readPresentedCredentials(headers(basicHeader("x", "y")), form())).toEqual({
      method: "client_secret_basic",
      clientId: "x",
      secret: "y",
    });
  });
});

describe("client_id syntax (RFC 6749 Appendix A.1)", () => {
  it("a client_id outside VSCHAR is refused as invalid_client without asking the store", async () => {
    const { authenticateClient } = await import("@/lib/oauth/clientAuthentication");
    const { FormParameters } = await import("@/lib/oauth/http");
    let lookups = 0;
    const store = { findClientByClientId: async () => { lookups++; return null; } };
    for (const clientId of ["post\u0000man", "caf\u00e9", "tab\tid"]) {
      const form = FormParameters.fromSearchParams(new URLSearchParams({ client_id: clientId }));
      await expect(authenticateClient(new Headers(), form, store)).rejects.toMatchObject({ code: "invalid_client", status: 401 });
    }
    expect(lookups).toBe(0);
  });
});
