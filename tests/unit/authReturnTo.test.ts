import { describe, expect, it } from "vitest";
import { INTERACTION_ID, isInteractionId, postSignInLocation, safeReturnPath } from "@/lib/auth/returnTo";

const interaction = "a".repeat(21) + "_-" + "Z9".repeat(10); // 43 characters

describe("safeReturnPath", () => {
  it.each(["/", "/account", "/a/b?c=d&e=f#g", "/consent?interaction=x", "/%2F%2Fevil.example", "/path;with:colon"])(
    "keeps the same-origin path %s",
    (path) => expect(safeReturnPath(path)).toBe(path),
  );

  it.each([
    ["an absolute URL", "https://evil.example/"],
    ["a scheme-relative URL", "//evil.example/"],
    ["a backslash after the slash", "/\\evil.example"],
    ["a backslash anywhere", "/a\\b"],
    ["a javascript: URL", "javascript:alert(1)"],
    ["a data: URL", "data:text/html,hi"],
    ["a relative path", "account"],
    ["a tab that browsers strip (/\\t/evil becomes //evil)", "/\t/evil.example"],
    ["a newline", "/a\nb"],
    ["a carriage return", "/a\rb"],
    ["a NUL", "/a\u0000b"],
    ["a C1 control character", "/a\u0085b"],
    ["a space", "/a b"],
    ["an empty string", ""],
    ["a very long path", "/" + "a".repeat(3000)],
  ])("refuses %s", (_label, value) => {
    expect(safeReturnPath(value)).toBeNull();
  });

  it("refuses what is not a string", () => {
    expect(safeReturnPath(undefined)).toBeNull();
    expect(safeReturnPath(null)).toBeNull();
    expect(safeReturnPath(["/a"])).toBeNull();
  });
});

describe("interaction ids", () => {
  it("are 43 base64url characters", () => {
    expect(interaction).toHaveLength(43);
    expect(isInteractionId(interaction)).toBe(true);
    expect(INTERACTION_ID.test(interaction + "a")).toBe(false);
    expect(isInteractionId(interaction.slice(1))).toBe(false);
    expect(isInteractionId(interaction.slice(1) + "=")).toBe(false);
    expect(isInteractionId(interaction.slice(1) + "/")).toBe(false);
    expect(isInteractionId(`${interaction.slice(1)}\n`)).toBe(false);
  });
});

describe("postSignInLocation", () => {
  it("resumes the authorization request for a valid interaction, whatever returnTo says", () => {
    expect(postSignInLocation({ interaction, returnTo: "/elsewhere" })).toBe(`/connect/authorize?interaction=${interaction}`);
  });

  it("uses a same-origin returnTo when there is no valid interaction", () => {
    expect(postSignInLocation({ interaction: "short", returnTo: "/account?tab=1" })).toBe("/account?tab=1");
    expect(postSignInLocation({ returnTo: "/account" })).toBe("/account");
  });

  it("falls back to / for anything else", () => {
    expect(postSignInLocation({})).toBe("/");
    expect(postSignInLocation({ returnTo: "https://evil.example" })).toBe("/");
    expect(postSignInLocation({ returnTo: "//evil.example" })).toBe("/");
    expect(postSignInLocation({ returnTo: "/\\evil.example" })).toBe("/");
    expect(postSignInLocation({ interaction: `${interaction}&x=1`, returnTo: null })).toBe("/");
  });
});
