// Issue #10 item 6: server-action arguments Next.js would fail to decode (a 500)
// are refused before it; what React's client sends for our actions passes.
import { describe, expect, it } from "vitest";
import { isAcceptableFormReply, isAcceptableTextReply } from "@/lib/server/serverActionReply";

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
}

describe("server action replies", () => {
  it("accepts plain JSON arguments, inline tags and escapes", () => {
    for (const text of ['[{"id":"c1","name":"x"}]', "[]", '["$undefined",{"a":"$D2026-01-01T00:00:00.000Z"},"$n42","$$dollar"]']) {
      expect(isAcceptableTextReply(text), text).toBe(true);
    }
  });

  it("refuses a root that is not the argument list (Next.js applies it as the arguments and fails with a 500)", () => {
    for (const text of ['"x"', "null", "42", '{"a":1}', "true"]) {
      expect(isAcceptableTextReply(text), text).toBe(false);
    }
    expect(isAcceptableFormReply(form({ "0": "null" }), true)).toBe(false);
    expect(isAcceptableFormReply(form({ "0": '{"status":"idle"}' }), true)).toBe(false);
  });

  it("refuses what React's decoder throws on: not JSON, missing rows, Maps, promises, bad BigInts", () => {
    for (const text of ["{not json", "", "aaaa", '["$1"]', '["$Q1"]', '["$@1"]', '["$@0:x:y:"]', '["$W0"]', '["$nabc"]', '["$h0"]', '["$T"]', '["$i1"]']) {
      expect(isAcceptableTextReply(text), text).toBe(false);
    }
  });

  it("accepts a form's FormData argument sent by fetch ($K with prefixed fields) and a repeated-object path", () => {
    expect(isAcceptableFormReply(form({ "0": '[{"status":"idle"},"$K1"]', "1_username": "alice", "1_password": "x" }), true)).toBe(true);
    expect(isAcceptableFormReply(form({ "0": '[{"a":1},"$0:0"]' }), true)).toBe(true);
  });

  it("refuses a multipart fetch action without a root row or with a row that is not JSON", () => {
    expect(isAcceptableFormReply(form({ "1_username": "alice" }), true)).toBe(false);
    expect(isAcceptableFormReply(form({ "0": "aaaa" }), true)).toBe(false);
    expect(isAcceptableFormReply(form({ "0": '["$1"]', "1": "{" }), true)).toBe(false);
  });

  it("checks the bound arguments of a form posted without JavaScript", () => {
    expect(isAcceptableFormReply(form({ "$ACTION_ID_7f00": "", username: "alice" }), false)).toBe(true);
    expect(isAcceptableFormReply(form({ "$ACTION_REF_1": "", "$ACTION_1:0": '{"id":"7f00","bound":null}' }), false)).toBe(true);
    // What React renders into the sign-in form (useActionState): the bound state as a promise of row 1.
    const signInForm = { "$ACTION_REF_1": "", "$ACTION_1:0": '{"id":"6002e0","bound":"$@1"}', "$ACTION_1:1": '[{"status":"idle"}]', "$ACTION_KEY": "k0d", username: "a" };
    expect(isAcceptableFormReply(form(signInForm), false)).toBe(true);
    expect(isAcceptableFormReply(form({ ...signInForm, "$ACTION_1:1": "{" }), false)).toBe(false);
    expect(isAcceptableFormReply(form({ "$ACTION_REF_1": "", "$ACTION_1:0": '{"id":"6002e0","bound":"$@2"}' }), false)).toBe(false);
    expect(isAcceptableFormReply(form({ "$ACTION_REF_1": "" }), false)).toBe(false);
    expect(isAcceptableFormReply(form({ "$ACTION_REF_1": "", "$ACTION_1:0": "'<script>" }), false)).toBe(false);
  });
});
