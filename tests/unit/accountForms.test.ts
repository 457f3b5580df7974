// The schemas shared by /account's forms, the revoke buttons and their server
// actions (lib/forms), and the user-agent summary of the sessions list.
import { describe, expect, it } from "vitest";
import { shortUserAgent } from "@/components/account/shortUserAgent";
import { MAX_PASSWORD_LENGTH } from "@/lib/auth/signInForm";
import { endSessionInput, revokeAuthorizationInput, revokeTokenInput, withdrawConsentInput } from "@/lib/forms/grantActions";
import { MIN_NEW_PASSWORD_LENGTH, passwordFormSchema } from "@/lib/forms/passwordForm";
import { MAX_NAME_LENGTH, profileFormSchema } from "@/lib/forms/profileForm";

const fieldErrors = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  Object.fromEntries((result.error?.issues ?? []).map((issue) => [String(issue.path[0]), issue.message]));

describe("profileFormSchema", () => {
  const profile = (name: unknown, email: unknown, currentPassword: unknown = "") => profileFormSchema.safeParse({ name, email, currentPassword });

  it("trims the name and the address, and accepts an empty address (no email)", () => {
    expect(profileFormSchema.parse({ name: "  Alice Liddell ", email: " alice@example.org ", currentPassword: "" })).toEqual({
      name: "Alice Liddell",
      email: "alice@example.org",
      currentPassword: "",
    });
    expect(profileFormSchema.parse({ name: "", email: "", currentPassword: "" })).toEqual({ name: "", email: "", currentPassword: "" });
  });

  it("keeps the current password as typed (spaces are characters too), and refuses one longer than sign-in accepts", () => {
    expect(profileFormSchema.parse({ name: "Alice", email: "", currentPassword: " pass word " }).currentPassword).toBe(" pass word ");
    expect(fieldErrors(profile("Alice", "", "x".repeat(MAX_PASSWORD_LENGTH + 1)))).toEqual({ currentPassword: expect.stringMatching(/too long/) });
  });

  it("refuses a malformed address, a name with control characters, and over-long values, each on its field", () => {
    expect(fieldErrors(profile("Alice", "not-an-address"))).toEqual({
      email: expect.stringMatching(/email address like name@example\.com/),
    });
    expect(fieldErrors(profile("Al\u0000ice", ""))).toEqual({ name: expect.stringMatching(/control characters/) });
    expect(fieldErrors(profile("x".repeat(MAX_NAME_LENGTH + 1), ""))).toEqual({ name: expect.stringMatching(/under 200/) });
    expect(fieldErrors(profile("Alice", `${"a".repeat(250)}@example.org`))).toEqual({ email: expect.stringMatching(/too long/) });
  });

  it("refuses missing fields and non-strings", () => {
    expect(profileFormSchema.safeParse({ name: "Alice" }).success).toBe(false);
    expect(profileFormSchema.safeParse({ name: "Alice", email: "" }).success).toBe(false);
    expect(profile(1, "").success).toBe(false);
    expect(profile("Alice", "", null).success).toBe(false);
  });
});

describe("passwordFormSchema", () => {
  const valid = { currentPassword: "alice-password", newPassword: "a much longer passphrase", confirmPassword: "a much longer passphrase" };

  it("accepts a new password of the minimum length that is confirmed", () => {
    const exact = "x".repeat(MIN_NEW_PASSWORD_LENGTH);
    expect(passwordFormSchema.safeParse({ ...valid, newPassword: exact, confirmPassword: exact }).success).toBe(true);
    expect(passwordFormSchema.parse(valid)).toEqual(valid);
  });

  it("keeps passwords as typed (no trimming: spaces are characters too)", () => {
    const spaced = "  spaced passphrase  ";
    expect(passwordFormSchema.parse({ ...valid, newPassword: spaced, confirmPassword: spaced }).newPassword).toBe(spaced);
  });

  it("puts each refusal on its field: missing current, too short, too long, unconfirmed, unchanged", () => {
    expect(fieldErrors(passwordFormSchema.safeParse({ ...valid, currentPassword: "" }))).toEqual({ currentPassword: "Enter your current password." });
    const short = "x".repeat(MIN_NEW_PASSWORD_LENGTH - 1);
    expect(fieldErrors(passwordFormSchema.safeParse({ ...valid, newPassword: short, confirmPassword: short }))).toEqual({
      newPassword: expect.stringMatching(/at least 12/),
    });
    const long = "x".repeat(MAX_PASSWORD_LENGTH + 1);
    expect(fieldErrors(passwordFormSchema.safeParse({ ...valid, newPassword: long, confirmPassword: long }))).toMatchObject({
      newPassword: expect.stringMatching(/at most 1024/),
    });
    expect(fieldErrors(passwordFormSchema.safeParse({ ...valid, confirmPassword: "something else entirely" }))).toEqual({
      confirmPassword: "The two new passwords do not match.",
    });
    expect(fieldErrors(passwordFormSchema.safeParse({ ...valid, newPassword: valid.currentPassword, confirmPassword: valid.currentPassword }))).toEqual({
      newPassword: "Choose a password different from your current one.",
    });
  });
});

describe("revoke and sign-out inputs", () => {
  const id = "7d0b5f4e-2b1a-4c3d-9e8f-0a1b2c3d4e5f";

  it("accept uuids and an owner that says what it is", () => {
    expect(withdrawConsentInput.parse({ authorizationId: id })).toEqual({ authorizationId: id });
    expect(endSessionInput.parse({ sessionId: id })).toEqual({ sessionId: id });
    expect(revokeAuthorizationInput.parse({ authorizationId: id, owner: { ownerType: "user", ownerId: id } }).owner).toEqual({ ownerType: "user", ownerId: id });
    expect(revokeTokenInput.parse({ tokenId: id, owner: { ownerType: "client", ownerId: id } }).owner.ownerType).toBe("client");
  });

  it("refuse anything that is not a uuid, and owners of another kind", () => {
    for (const bad of ["", "1", `${id}x`, "'; DROP TABLE tokens; --", null]) {
      expect(withdrawConsentInput.safeParse({ authorizationId: bad }).success).toBe(false);
      expect(endSessionInput.safeParse({ sessionId: bad }).success).toBe(false);
    }
    expect(revokeTokenInput.safeParse({ tokenId: id, owner: { ownerType: "admin", ownerId: id } }).success).toBe(false);
    expect(revokeTokenInput.safeParse({ tokenId: id, owner: { ownerType: "user", ownerId: "alice" } }).success).toBe(false);
    expect(revokeAuthorizationInput.safeParse({ authorizationId: id }).success).toBe(false);
  });
});

describe("shortUserAgent", () => {
  it.each([
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131 on Windows"],
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge 131 on Windows"],
    ["Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox 133 on Linux"],
    ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari 18 on macOS"],
    ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari 17 on iOS"],
    ["Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome 131 on Android"],
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36", "Headless Chrome 140 on Linux"],
  ])("%s → %s", (userAgent, expected) => {
    expect(shortUserAgent(userAgent)).toBe(expected);
  });

  it("clips what it does not recognise, strips control characters, and names a missing header", () => {
    expect(shortUserAgent("node")).toBe("node");
    expect(shortUserAgent("curl/8.5.0\u0007")).toBe("curl/8.5.0");
    const long = shortUserAgent("x".repeat(300));
    expect(long).toHaveLength(40);
    expect(long.endsWith("…")).toBe(true);
    expect(shortUserAgent(null)).toBe("Unknown browser");
    expect(shortUserAgent("  ")).toBe("Unknown browser");
  });
});
