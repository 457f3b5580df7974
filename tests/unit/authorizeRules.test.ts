// The authorization request's checks, one per rule (lib/oauth/authorize/rules),
// and the parser that runs them in order (lib/oauth/authorize/parseRequest.ts).
// Pure: no endpoint, no store. The endpoint's answers: authorize.test.ts.
import { describe, expect, it } from "vitest";
import { OAuthError } from "@/lib/oauth/errors";
import { FormParameters } from "@/lib/oauth/http";
import { PageRefusal } from "@/lib/oauth/authorize/pages";
import {
  expectedSubjectOf,
  isClientIdSyntax,
  parseCodeRequest,
  readRedirectTarget,
  readRequestedScopes,
  requireClientId,
  requireEnabledClient,
} from "@/lib/oauth/authorize/parseRequest";
import { requireCodeFlowPermissions, requireRefreshGrantForOfflineAccess } from "@/lib/oauth/authorize/rules/clientPermissions";
import { requireS256CodeChallenge } from "@/lib/oauth/authorize/rules/codeChallenge";
import { readMaxAge } from "@/lib/oauth/authorize/rules/maxAge";
import { rejectOversizedParameters } from "@/lib/oauth/authorize/rules/parameterSize";
import { readPrompt } from "@/lib/oauth/authorize/rules/prompt";
import { chooseRedirectUri } from "@/lib/oauth/authorize/rules/redirectUri";
import { rejectRequestObjects } from "@/lib/oauth/authorize/rules/requestObjects";
import { requireCodeResponseType, requireQueryResponseMode } from "@/lib/oauth/authorize/rules/responseType";
import { returnableState } from "@/lib/oauth/authorize/rules/state";
import { CODE_FLOW, PKCE, makeClient, makeScope } from "./fakes";

const params = (query: string) => FormParameters.collect(new URLSearchParams(query));
const CALLBACK = "https://app.example.test/cb";
const client = makeClient({ clientId: "app", displayName: "App", redirectUris: [CALLBACK], permissions: [...CODE_FLOW, "scp:profile"] });

/** The refusal `check` throws: a page's title and status, or an OAuth error's code. */
function refusal(check: () => unknown): { page: string; status: number } | { error: string; description: string } {
  try {
    check();
  } catch (error) {
    if (error instanceof PageRefusal) return { page: error.page.title, status: error.page.status ?? 400 };
    if (error instanceof OAuthError) return { error: error.code, description: error.description };
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("client_id and redirect_uri: refused on a page (RFC 6749 §4.1.2.1)", () => {
  it("requireClientId: missing, repeated or over 2 KiB is an error page", () => {
    expect(requireClientId(params("client_id=app"))).toBe("app");
    expect(refusal(() => requireClientId(params("client_id=")))).toEqual({ page: "Invalid authorization request", status: 400 });
    expect(refusal(() => requireClientId(params("client_id=a&client_id=a")))).toEqual({ page: "Invalid authorization request", status: 400 });
    expect(refusal(() => requireClientId(params(`client_id=${"c".repeat(2049)}`)))).toEqual({ page: "Invalid authorization request", status: 400 });
  });

  it("isClientIdSyntax: visible ASCII and space only (RFC 6749 Appendix A.1), so nothing else costs a lookup", () => {
    expect(isClientIdSyntax("web app-1")).toBe(true);
    expect(isClientIdSyntax("café")).toBe(false);
    expect(isClientIdSyntax("a\u0000")).toBe(false);
  });

  it("requireEnabledClient: unknown or disabled is the unknown-application page", () => {
    expect(requireEnabledClient(client)).toBe(client);
    expect(refusal(() => requireEnabledClient(null))).toMatchObject({ page: "Unknown application" });
    expect(refusal(() => requireEnabledClient({ ...client, enabled: false }))).toMatchObject({ page: "Unknown application" });
  });

  it("chooseRedirectUri: a registered one as sent, the only one by default, otherwise a page", () => {
    expect(chooseRedirectUri(params(`redirect_uri=${CALLBACK}`), client)).toEqual({ redirectUri: CALLBACK, provided: true });
    expect(chooseRedirectUri(params(""), client)).toEqual({ redirectUri: CALLBACK, provided: false });
    expect(refusal(() => chooseRedirectUri(params(`redirect_uri=${CALLBACK}x`), client))).toMatchObject({ page: "Unregistered redirect URI" });
    expect(refusal(() => chooseRedirectUri(params(`redirect_uri=${CALLBACK}&redirect_uri=${CALLBACK}`), client))).toMatchObject({ page: "Invalid authorization request" });
    const several = { ...client, redirectUris: [CALLBACK, `${CALLBACK}2`] };
    expect(refusal(() => chooseRedirectUri(params(""), several))).toMatchObject({ page: "Invalid authorization request" });
  });

  it("returnableState: sent once and within 2 KiB, else not carried back", () => {
    expect(returnableState(params("state=xyz"))).toBe("xyz");
    expect(returnableState(params("state=a&state=b"))).toBeNull();
    expect(returnableState(params(`state=${"s".repeat(2049)}`))).toBeNull();
    expect(returnableState(params(""))).toBeNull();
    expect(readRedirectTarget(params("state=st"), client)).toEqual({ redirectUri: CALLBACK, redirectUriProvided: false, state: "st" });
  });
});

describe("the request's own parameters: refused back to the client", () => {
  it("rejectOversizedParameters names the first value over its limit; id_token_hint may have 8 KiB", () => {
    expect(() => rejectOversizedParameters(params(`id_token_hint=${"h".repeat(8192)}&nonce=${"n".repeat(2048)}`))).not.toThrow();
    expect(refusal(() => rejectOversizedParameters(params(`a=1&nonce=x&nonce=${"n".repeat(2049)}`)))).toMatchObject({ error: "invalid_request", description: expect.stringMatching(/^The nonce parameter is longer than 2048 bytes/) });
  });

  it("rejectRequestObjects: request, then request_uri (OIDC Core §6)", () => {
    expect(refusal(() => rejectRequestObjects(params("request_uri=x&request=y")))).toMatchObject({ error: "request_not_supported" });
    expect(refusal(() => rejectRequestObjects(params("request_uri=x")))).toMatchObject({ error: "request_uri_not_supported" });
  });

  it("requireCodeResponseType and requireQueryResponseMode", () => {
    expect(refusal(() => requireCodeResponseType(params("")))).toMatchObject({ error: "invalid_request" });
    expect(refusal(() => requireCodeResponseType(params("response_type=code+id_token")))).toMatchObject({ error: "unsupported_response_type" });
    expect(() => requireCodeResponseType(params("response_type=code"))).not.toThrow();
    expect(() => requireQueryResponseMode(params("response_mode=query"))).not.toThrow();
    expect(refusal(() => requireQueryResponseMode(params("response_mode=fragment")))).toMatchObject({ error: "invalid_request" });
  });

  it("requireCodeFlowPermissions needs all three permissions; offline_access needs the refresh_token grant", () => {
    expect(() => requireCodeFlowPermissions(client)).not.toThrow();
    for (const missing of CODE_FLOW.filter((permission) => permission !== "ept:token")) {
      const without = { ...client, permissions: client.permissions.filter((permission) => permission !== missing) };
      expect(refusal(() => requireCodeFlowPermissions(without))).toMatchObject({ error: "unauthorized_client" });
    }
    expect(refusal(() => requireRefreshGrantForOfflineAccess(client, ["openid", "offline_access"]))).toMatchObject({ error: "invalid_scope" });
    expect(() => requireRefreshGrantForOfflineAccess({ ...client, permissions: [...client.permissions, "gt:refresh_token"] }, ["offline_access"])).not.toThrow();
  });

  it("requireS256CodeChallenge: a 43-character challenge with method S256, nothing else", () => {
    expect(requireS256CodeChallenge(params(`code_challenge=${PKCE.challenge}&code_challenge_method=S256`))).toBe(PKCE.challenge);
    expect(refusal(() => requireS256CodeChallenge(params("")))).toMatchObject({ description: expect.stringContaining("PKCE is required") });
    expect(refusal(() => requireS256CodeChallenge(params("code_challenge_method=S256")))).toMatchObject({ description: expect.stringContaining("without code_challenge") });
    expect(refusal(() => requireS256CodeChallenge(params(`code_challenge=${PKCE.challenge}`)))).toMatchObject({ description: expect.stringContaining("plain, is not allowed") });
    expect(refusal(() => requireS256CodeChallenge(params(`code_challenge=${PKCE.challenge}&code_challenge_method=plain`)))).toMatchObject({ description: expect.stringContaining("(got 'plain')") });
    expect(refusal(() => requireS256CodeChallenge(params("code_challenge=short&code_challenge_method=S256")))).toMatchObject({ error: "invalid_request" });
  });

  it("readPrompt: the four values, none alone", () => {
    expect(readPrompt(params("prompt=login+consent"))).toEqual(["login", "consent"]);
    expect(readPrompt(params(""))).toEqual([]);
    expect(refusal(() => readPrompt(params("prompt=none+login")))).toMatchObject({ error: "invalid_request" });
    expect(refusal(() => readPrompt(params("prompt=LOGIN")))).toMatchObject({ description: "Unsupported prompt value 'LOGIN'." });
  });

  it("readMaxAge: whole seconds up to ten years", () => {
    expect(readMaxAge(params(""))).toBeNull();
    expect(readMaxAge(params("max_age=0"))).toBe(0);
    expect(readMaxAge(params(`max_age=${10 * 365 * 24 * 3600}`))).toBe(10 * 365 * 24 * 3600);
    for (const bad of ["-1", "1.5", "1e3", "+5", String(10 * 365 * 24 * 3600 + 1)]) {
      expect(refusal(() => readMaxAge(params(`max_age=${encodeURIComponent(bad)}`)))).toMatchObject({ error: "invalid_request" });
    }
  });

  it("expectedSubjectOf: a verified hint issued to this client names the expected user", () => {
    expect(expectedSubjectOf({ sub: "user-1", aud: ["app"], azp: null, sid: null }, client)).toBe("user-1");
    expect(refusal(() => expectedSubjectOf({ sub: "user-1", aud: ["other"], azp: null, sid: null }, client))).toMatchObject({ error: "invalid_request" });
    expect(refusal(() => expectedSubjectOf(null, client))).toMatchObject({ error: "invalid_request" });
  });
});

describe("the parser runs the checks in the order their refusals are reported", () => {
  const valid = `response_type=code&scope=openid+profile&code_challenge=${PKCE.challenge}&code_challenge_method=S256`;

  it("a request with several faults is refused for the first: size, repeats, request objects, response type, permissions, scope syntax", () => {
    const allWrong = `nonce=${"n".repeat(2049)}&state=a&state=b&request=x&response_type=token&scope=a%01`;
    expect(refusal(() => readRequestedScopes(params(allWrong), client))).toMatchObject({ description: expect.stringMatching(/^The nonce parameter/) });
    expect(refusal(() => readRequestedScopes(params(allWrong.slice(allWrong.indexOf("&") + 1)), client))).toMatchObject({ description: expect.stringContaining("repeated: state") });
    expect(refusal(() => readRequestedScopes(params("request=x&response_type=token"), client))).toMatchObject({ error: "request_not_supported" });
    expect(refusal(() => readRequestedScopes(params("response_type=token&scope=a%01"), { ...client, permissions: [] }))).toMatchObject({ error: "unsupported_response_type" });
    expect(refusal(() => readRequestedScopes(params("response_type=code&scope=a%01"), { ...client, permissions: [] }))).toMatchObject({ error: "unauthorized_client" });
    expect(refusal(() => readRequestedScopes(params("response_type=code&scope=a%01"), client))).toMatchObject({ error: "invalid_scope" });
    expect(readRequestedScopes(params(valid), client)).toEqual(["openid", "profile"]);
  });

  it("with the scope records: unknown or forbidden scopes come before PKCE, prompt and max_age", () => {
    const target = { redirectUri: CALLBACK, redirectUriProvided: false, state: null };
    const records = [makeScope("openid"), makeScope("profile", ["https://api.example.test"])];
    const badPkce = "response_type=code&scope=openid+email&prompt=bogus";
    expect(refusal(() => parseCodeRequest(params(badPkce), client, target, ["openid", "email"], records))).toMatchObject({ error: "invalid_scope", description: "Unknown scope: email." });
    expect(refusal(() => parseCodeRequest(params("prompt=bogus"), client, target, [], []))).toMatchObject({ description: expect.stringContaining("PKCE is required") });
    expect(refusal(() => parseCodeRequest(params(`${valid}&prompt=bogus&max_age=x`), client, target, [], []))).toMatchObject({ description: "Unsupported prompt value 'bogus'." });

    const parsed = parseCodeRequest(params(`${valid}&nonce=n&login_hint=alice&max_age=60&id_token_hint=h`), client, target, ["openid", "profile"], records);
    expect(parsed.request).toEqual({
      clientId: "app",
      redirectUri: CALLBACK,
      redirectUriProvided: false,
      scopes: ["openid", "profile"],
      state: null,
      nonce: "n",
      codeChallenge: PKCE.challenge,
      codeChallengeMethod: "S256",
      prompt: [],
      maxAge: 60,
      loginHint: "alice",
    });
    expect(parsed.scopes.audiences).toEqual(["https://api.example.test"]);
    expect(parsed.idTokenHint).toBe("h");
  });
});
