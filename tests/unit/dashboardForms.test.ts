// The zod schemas the scope and user forms share with their server actions.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { userClaimValue } from "@/lib/oauth/claims";
import { RELEASABLE_CLAIMS, createScopeSchema, resourceProblem, resourcesFromText, scopeIdSchema, updateScopeSchema } from "@/lib/forms/scopeForm";
import { MIN_PASSWORD_LENGTH, createUserSchema, resetPasswordSchema, updateUserSchema } from "@/lib/forms/userForm";

/** The field → first message map a form would show. */
function fieldErrors(schema: z.ZodType, input: unknown): Record<string, string> {
  const result = schema.safeParse(input);
  if (result.success) return {};
  return Object.fromEntries(Object.entries(z.flattenError(result.error).fieldErrors).map(([field, messages]) => [field, (messages as string[])[0]!]));
}

const scope = { name: "orders:read", displayName: "Orders", description: "Read your orders.", resources: "", claims: [], accessTokenClaims: [] };

describe("scope form", () => {
  it("accepts RFC 6749 scope tokens and refuses spaces, quotes, backslashes and non-ASCII", () => {
    for (const name of ["api", "orders:read", "https://api.example.com/read", "a!#$%&'()*+,-./:;<=>?@[]^_`{|}~"]) {
      expect(fieldErrors(createScopeSchema, { ...scope, name }), name).toEqual({});
    }
    for (const name of ["two words", 'say"hi', "back\\slash", "café", "tab\there", ""]) {
      expect(fieldErrors(createScopeSchema, { ...scope, name }), name).toHaveProperty("name");
    }
    expect(fieldErrors(createScopeSchema, { ...scope, name: "x".repeat(101) })).toHaveProperty("name");
  });

  it("takes resources one per line as absolute URIs or URNs without fragments", () => {
    expect(resourcesFromText(" https://api.example.com \n\nurn:example:api\r\nhttps://api.example.com\n")).toEqual(["https://api.example.com", "urn:example:api"]);
    expect(fieldErrors(createScopeSchema, { ...scope, resources: "https://api.example.com\nurn:example:api" })).toEqual({});
    expect(resourceProblem("api.example.com")).toMatch(/not an absolute URI or URN/);
    expect(resourceProblem("/relative")).toMatch(/not an absolute URI or URN/);
    expect(resourceProblem("https://api.example.com/#x")).toMatch(/fragment/);
    expect(fieldErrors(createScopeSchema, { ...scope, resources: "https://ok.example.com\nnot a uri" })).toEqual({ resources: '"not a uri" contains a space.' });
    expect(fieldErrors(createScopeSchema, { ...scope, resources: Array.from({ length: 21 }, (_, i) => `urn:r:${i}`).join("\n") }).resources).toMatch(/At most 20/);
  });

  it("puts a claim into access tokens only if the scope releases it", () => {
    expect(fieldErrors(createScopeSchema, { ...scope, claims: ["email"], accessTokenClaims: ["email"] })).toEqual({});
    expect(fieldErrors(updateScopeSchema, { ...scope, id: crypto.randomUUID(), claims: ["name"], accessTokenClaims: ["email"] }).accessTokenClaims).toMatch(
      /also tick email under "Claims released"/,
    );
    expect(fieldErrors(createScopeSchema, { ...scope, claims: ["password_hash"] })).toHaveProperty("claims");
  });

  it("offers exactly the claims lib/oauth/claims.ts can fill", () => {
    const user = { id: "u1", username: "alice", email: "a@example.com", emailVerified: true, name: "Alice", enabled: true, updatedAt: new Date() };
    for (const claim of RELEASABLE_CLAIMS) expect(userClaimValue(user, claim.name), claim.name).not.toBeUndefined();
    expect(userClaimValue(user, "address")).toBeUndefined();
  });

  it("requires a display name and refuses record ids that are not uuids", () => {
    expect(fieldErrors(createScopeSchema, { ...scope, displayName: "   " })).toHaveProperty("displayName");
    expect(fieldErrors(scopeIdSchema, { id: "1 OR 1=1" })).toHaveProperty("id");
    expect(fieldErrors(updateScopeSchema, { ...scope, id: "x" })).toHaveProperty("id");
  });
});

describe("user forms", () => {
  const user = { username: "bob.smith", email: "bob@example.com", name: "Bob Smith", emailVerified: false, password: "correct horse battery" };

  it("accepts a complete new user, with or without an email address", () => {
    expect(fieldErrors(createUserSchema, user)).toEqual({});
    expect(fieldErrors(createUserSchema, { ...user, email: "" })).toEqual({});
    expect(createUserSchema.parse({ ...user, username: "  bob  ", email: " bob@example.com " })).toMatchObject({ username: "bob", email: "bob@example.com" });
  });

  it("refuses usernames with spaces, @ or a leading dot, and malformed email addresses", () => {
    for (const username of ["bob smith", "bob@example.com", ".bob", "", "x".repeat(65)]) {
      expect(fieldErrors(createUserSchema, { ...user, username }), username).toHaveProperty("username");
    }
    for (const email of ["bob", "bob@", "@example.com", "bob example@x.com"]) {
      expect(fieldErrors(createUserSchema, { ...user, email }), email).toHaveProperty("email");
    }
  });

  it(`asks for a password of at least ${MIN_PASSWORD_LENGTH} characters that is not only spaces`, () => {
    expect(fieldErrors(createUserSchema, { ...user, password: "x".repeat(MIN_PASSWORD_LENGTH - 1) }).password).toMatch(/at least 12/);
    expect(fieldErrors(createUserSchema, { ...user, password: " ".repeat(20) }).password).toMatch(/only spaces/);
    expect(fieldErrors(createUserSchema, { ...user, password: "x".repeat(1025) }).password).toMatch(/At most 1024/);
    expect(fieldErrors(resetPasswordSchema, { id: crypto.randomUUID(), password: "x".repeat(MIN_PASSWORD_LENGTH) })).toEqual({});
  });

  it("edits a profile by id, without a password", () => {
    const { password: _password, ...profile } = user;
    expect(fieldErrors(updateUserSchema, { ...profile, id: crypto.randomUUID() })).toEqual({});
    expect(fieldErrors(updateUserSchema, { ...profile, id: "admin" })).toHaveProperty("id");
    expect(updateUserSchema.parse({ ...profile, id: crypto.randomUUID(), password: "ignored" })).not.toHaveProperty("password");
  });
});
