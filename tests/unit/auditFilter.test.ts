// lib/forms/auditFilter.ts: what the audit log page accepts in its query string.
import { describe, expect, it } from "vitest";
import { auditFilterQuery, looksLikeUserId, parseAuditFilter } from "@/lib/forms/auditFilter";

const parse = (params: Record<string, string | string[] | undefined>) => parseAuditFilter(auditFilterQuery(params));

function filterOf(params: Record<string, string | string[] | undefined>) {
  const result = parse(params);
  if (!result.ok) throw new Error(JSON.stringify(result.fieldErrors));
  return result.filter;
}

function errorsOf(params: Record<string, string | string[] | undefined>) {
  const result = parse(params);
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.filter)}`);
  return result.fieldErrors;
}

describe("the audit log filter", () => {
  it("no parameters, or blank ones, filter nothing", () => {
    expect(filterOf({})).toEqual({});
    expect(filterOf({ user: "", client: "  ", kind: "", prefix: "", from: "", to: "", asOf: "" })).toEqual({});
  });

  it("keeps the text filters, trimmed", () => {
    expect(filterOf({ user: " alice ", client: "postman", kind: "token.issued", prefix: "admin." })).toEqual({
      user: "alice",
      client: "postman",
      kind: "token.issued",
      prefix: "admin.",
    });
  });

  it("reads datetime-local values as UTC, with or without seconds", () => {
    expect(filterOf({ from: "2026-11-26T14:30", to: "2026-11-26T15:00:05.5" })).toEqual({
      from: new Date("2026-11-26T14:30:00.000Z"),
      to: new Date("2026-11-26T15:00:05.500Z"),
    });
  });

  it.each(["2026-02-31T10:00", "2026-11-26T24:00", "2026-11-26T14:30:75", "1969-12-31T23:59", "yesterday", "2026-11-26 14:30", "2026-11-26T14:30Z"])(
    "refuses %s as From with a message that names the field",
    (from) => {
      expect(errorsOf({ from }).from).toMatch(/^From: /);
    },
  );

  it("To must be later than From", () => {
    expect(errorsOf({ from: "2026-11-26T15:00", to: "2026-11-26T15:00" })).toEqual({ to: "To: must be later than From." });
  });

  it.each([
    ["kind", "Token.Issued"],
    ["kind", "token..issued"],
    ["prefix", "%"],
    ["prefix", "admin_%"],
    ["client", "post\u0000man"],
    ["user", "x".repeat(201)],
  ])("refuses %s=%j", (field, value) => {
    expect(Object.keys(errorsOf({ [field]: value }))).toEqual([field]);
  });

  it("reports every bad field at once", () => {
    expect(Object.keys(errorsOf({ kind: "BAD", prefix: "%", to: "nope" })).sort()).toEqual(["kind", "prefix", "to"]);
  });

  it("a repeated parameter counts once (the first)", () => {
    expect(filterOf({ client: ["postman", "spa"] })).toEqual({ client: "postman" });
  });

  it("asOf (the paging anchor) must be an ISO instant in UTC", () => {
    expect(filterOf({ asOf: "2026-11-26T12:00:00.123Z" }).asOf).toEqual(new Date("2026-11-26T12:00:00.123Z"));
    expect(errorsOf({ asOf: "2026-11-26" }).asOf).toMatch(/paging link/);
  });

  it("tells user ids from usernames", () => {
    expect(looksLikeUserId("0b5e4c1e-9a55-4e38-9a4f-0f2b8c3d4e5f")).toBe(true);
    expect(looksLikeUserId("alice")).toBe(false);
  });
});
