import { describe, expect, it } from "vitest";
import { OAuthError } from "@/lib/oauth/errors";
import { parseScopeParameter, resolveClientScopes } from "@/lib/oauth/scopes";
import { InMemoryScopeStore, makeClient, makeScope } from "./fakes";

function scopeError(work: () => unknown): OAuthError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    return error as OAuthError;
  }
  throw new Error("expected an OAuthError");
}

describe("parseScopeParameter", () => {
  it("no scope parameter is no scopes", () => {
    expect(parseScopeParameter(undefined)).toEqual([]);
  });

  it("splits on spaces, keeps request order, drops duplicates", () => {
    expect(parseScopeParameter("orders:read api orders:read billing")).toEqual(["orders:read", "api", "billing"]);
  });

  it("accepts every character scope-token allows", () => {
    const all = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))
      .filter((ch) => ch !== '"' && ch !== "\\")
      .join("");
    expect(parseScopeParameter(all)).toEqual([all]);
  });

  it.each([
    ["a control character", "api\u0001"],
    ["a tab", "api\tbilling"],
    ["a newline", "api\nbilling"],
    ["DEL", "api\u007f"],
    ["a double quote", 'api"'],
    ["a backslash", "api\\x"],
    ["a non-ASCII letter", "apï"],
  ])("CC-03 %s is invalid_scope", (_label, scope) => {
    const error = scopeError(() => parseScopeParameter(scope));
    expect(error.code).toBe("invalid_scope");
    expect(error.status).toBe(400);
  });
});

describe("resolveClientScopes", () => {
  const store = new InMemoryScopeStore([
    makeScope("openid"),
    makeScope("orders:read", ["https://orders.example.test"]),
    makeScope("orders:write", ["https://orders.example.test", "https://audit.example.test"]),
    makeScope("billing", ["https://billing.example.test"]),
    makeScope("misc"),
  ]);
  const client = makeClient({
    permissions: ["ept:token", "gt:client_credentials", "scp:orders:read", "scp:orders:write", "scp:billing", "scp:misc"],
  });

  it("nothing requested resolves to nothing without asking the store", async () => {
    const failing = new InMemoryScopeStore();
    failing.failWith = new Error("must not be called");
    expect(await resolveClientScopes(client, [], failing)).toEqual({ names: [], records: [], audiences: [] });
  });

  it("returns names and records in request order and the union of audiences in order", async () => {
    const resolved = await resolveClientScopes(client, ["billing", "orders:write", "orders:read", "misc"], store);
    expect(resolved.names).toEqual(["billing", "orders:write", "orders:read", "misc"]);
    expect(resolved.records.map((record) => record.name)).toEqual(resolved.names);
    expect(resolved.audiences).toEqual([
      "https://billing.example.test",
      "https://orders.example.test",
      "https://audit.example.test",
    ]);
  });

  it("a scope without resources adds no audience", async () => {
    expect((await resolveClientScopes(client, ["misc"], store)).audiences).toEqual([]);
  });

  it("CC-02 an unknown scope is invalid_scope naming it", async () => {
    const error = await resolveClientScopes(client, ["orders:read", "nope"], store).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).code).toBe("invalid_scope");
    expect((error as OAuthError).description).toContain("nope");
  });

  it("CC-02 a known scope without the scp: permission is invalid_scope naming it", async () => {
    const limited = makeClient({ permissions: ["ept:token", "gt:client_credentials", "scp:orders:read"] });
    const error = await resolveClientScopes(limited, ["orders:read", "billing"], store).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).code).toBe("invalid_scope");
    expect((error as OAuthError).description).toContain("billing");
    expect((error as OAuthError).description).not.toContain("orders:read,");
  });

  it("openid needs no scp: permission", async () => {
    const bare = makeClient({ permissions: ["ept:token"] });
    const resolved = await resolveClientScopes(bare, ["openid"], store);
    expect(resolved.names).toEqual(["openid"]);
    // ...but it has to exist like any other scope.
    const error = await resolveClientScopes(bare, ["openid"], new InMemoryScopeStore()).catch((e: unknown) => e);
    expect((error as OAuthError).code).toBe("invalid_scope");
  });

  it("a permission for a similarly named scope does not count", async () => {
    const near = makeClient({ permissions: ["scp:orders", "scp:orders:read:all", "orders:read"] });
    const error = await resolveClientScopes(near, ["orders:read"], store).catch((e: unknown) => e);
    expect((error as OAuthError).code).toBe("invalid_scope");
  });
});
