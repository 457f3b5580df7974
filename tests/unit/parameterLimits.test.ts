// The size rule for authorization request parameters (lib/oauth/http.ts
// checkParameterSize, decision 0010): 2 KiB per parameter, a clear invalid_request.
import { describe, expect, it } from "vitest";
import { MAX_PARAMETER_BYTES, checkParameterSize, parameterByteLimit } from "@/lib/oauth/http";
import { SPA_CALLBACK, codeFrom, codeRequestParams, createAuthorizeFixture, redirectLocation } from "./fakes";

const spa = (overrides: Record<string, string | null> = {}) => codeRequestParams("spa", SPA_CALLBACK, overrides);

describe("checkParameterSize", () => {
  it("accepts up to 2048 bytes and refuses 2049, naming the parameter and the limit", () => {
    expect(MAX_PARAMETER_BYTES).toBe(2048);
    expect(checkParameterSize("state", "x".repeat(2048))).toBeNull();
    const error = checkParameterSize("state", "x".repeat(2049))!;
    expect(error.code).toBe("invalid_request");
    expect(error.description).toBe("The state parameter is longer than 2048 bytes, the limit for each authorization request parameter.");
  });

  it("counts UTF-8 bytes, not characters", () => {
    expect(checkParameterSize("nonce", "é".repeat(1024))).toBeNull(); // 2048 bytes
    expect(checkParameterSize("nonce", "é".repeat(1025))).not.toBeNull(); // 2050 bytes
    expect(checkParameterSize("nonce", "€".repeat(683))).not.toBeNull(); // 2049 bytes in 683 characters
  });

  it("id_token_hint, an ID token this server signed and never stores, may be up to 8 KiB", () => {
    expect(parameterByteLimit("id_token_hint")).toBe(8192);
    expect(checkParameterSize("id_token_hint", "e".repeat(8192))).toBeNull();
    expect(checkParameterSize("id_token_hint", "e".repeat(8193))!.description).toMatch(/id_token_hint parameter is longer than 8192 bytes/);
  });

  it("does not echo a strange parameter name", () => {
    expect(checkParameterSize("<script>", "x".repeat(3000))!.description).toMatch(/^A parameter is longer than 2048 bytes/);
  });
});

describe("authorize: parameter sizes", () => {
  it("a 2 KiB state, nonce and login_hint are accepted, and the state comes back whole", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const state = "s".repeat(2048);
    const response = await fx.get(spa({ state, nonce: "n".repeat(2048), login_hint: "h".repeat(2048) }));
    codeFrom(response);
    expect(redirectLocation(response).searchParams.get("state")).toBe(state);
  });

  it("a 2 KiB + 1 client_id is an error page, before anything is redirected", async () => {
    const fx = createAuthorizeFixture();
    const response = await fx.get(spa({ client_id: "c".repeat(2049) }));
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("The client_id parameter is longer than 2048 bytes");
  });

  it("a 2 KiB + 1 redirect_uri is an error page", async () => {
    const fx = createAuthorizeFixture();
    const response = await fx.get(spa({ redirect_uri: `${SPA_CALLBACK}?${"x".repeat(2049 - SPA_CALLBACK.length - 1)}` }));
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("The redirect_uri parameter is longer than 2048 bytes");
  });

  it.each(["nonce", "login_hint", "scope", "code_challenge", "prompt", "acr_values", "unknown_extension"])(
    "a 2 KiB + 1 %s is invalid_request back to the client, with state and iss, and stores nothing",
    async (name) => {
      const fx = createAuthorizeFixture();
      const response = await fx.get(spa({ state: "st", [name]: "v".repeat(2049) }));
      const location = redirectLocation(response);
      expect(location.origin + location.pathname).toBe(SPA_CALLBACK);
      expect(location.searchParams.get("error")).toBe("invalid_request");
      expect(location.searchParams.get("error_description")).toBe(`The ${name} parameter is longer than 2048 bytes, the limit for each authorization request parameter.`);
      expect(location.searchParams.get("state")).toBe("st");
      expect(location.searchParams.get("iss")).toBe("https://id.example.test");
      expect(fx.interactions.interactions.size).toBe(0);
      expect(fx.codes.codes.size).toBe(0);
    },
  );

  it("a 2 KiB + 1 state is refused and not carried back", async () => {
    const fx = createAuthorizeFixture();
    const location = redirectLocation(await fx.get(spa({ state: "s".repeat(2049) })));
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.get("error_description")).toMatch(/^The state parameter is longer than 2048 bytes/);
    expect(location.searchParams.has("state")).toBe(false);
  });

  it("the rule holds for a POST body too", async () => {
    const fx = createAuthorizeFixture();
    const location = redirectLocation(await fx.post(spa({ state: "st", nonce: "n".repeat(4000) })));
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.get("error_description")).toMatch(/^The nonce parameter/);
  });
});
