// The reference for `npm run bench -- --reference`: panva's node-oidc-provider (the pinned
// devDependency `oidc-provider`), configured the way Gatehouse's demo seed is (lib/db/seed.ts)
// so that one benchmark run can put the same requests to both servers:
//
//   - clients `postman` (confidential, client_secret_basic; authorization_code, refresh_token,
//     client_credentials) and `spa` (public; authorization_code, refresh_token), PKCE (S256)
//     required for both, the seed's redirect URIs;
//   - user `alice` / `alice-password`; scopes openid profile email offline_access, and `api`,
//     the scope of the resource `urn:gatehouse:api`;
//   - RS256 JWT access tokens for that resource (`typ: at+jwt`; REFERENCE_ACCESS_TOKEN_ALG=ES256
//     switches them to ES256, like GATEHOUSE_ACCESS_TOKEN_ALG), RS256 ID tokens;
//   - refresh tokens rotate on every use; introspection answers only the client the token was
//     issued to (Gatehouse's rule, lib/oauth/introspect.ts).
//
//   PORT=3460 node scripts/bench/reference-server.mjs     # prints "reference ready: ..." once listening
//
// Everything lives in memory (oidc-provider's default adapter, keys generated at start): every
// start is a clean slate. Differences from Gatehouse that the benchmark has to live with, and
// docs/benchmarks.md repeats:
//   - oidc-provider drops offline_access from an authorization request without prompt=consent
//     (OIDC Core 11), so this server issues a refresh token from every code exchange of a
//     client allowed the refresh_token grant (the "always issue" recipe of its documentation);
//   - with openid in scope and no resource at the token endpoint, the code flow's access token
//     is an opaque one for userinfo (oidc-provider's rule); it refuses to introspect JWT access
//     tokens, so the benchmark introspects such an opaque token here.
// The login and consent pages are ours and minimal: a form with username/password, and a
// consent form whose Allow button posts decision=allow (scripts/bench/reference.mjs drives them).
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Provider, { errors } from "oidc-provider";

const PORT = Number(process.env.PORT ?? 3460);
const HOST = process.env.HOST ?? "127.0.0.1";
const ISSUER = `http://${HOST}:${PORT}`;
const ACCESS_TOKEN_ALG = process.env.REFERENCE_ACCESS_TOKEN_ALG ?? "RS256";
if (ACCESS_TOKEN_ALG !== "RS256" && ACCESS_TOKEN_ALG !== "ES256") throw new Error(`REFERENCE_ACCESS_TOKEN_ALG must be RS256 or ES256; got ${ACCESS_TOKEN_ALG}`);

// The demo seed's values (lib/db/seed.ts: DEMO).
const API_RESOURCE = "urn:gatehouse:api";
const POSTMAN_REDIRECT_URI = "https://oauth.pstmn.io/v1/callback";
const SPA_REDIRECT_URI = "http://localhost:5173/callback";
const ALICE = {
  username: "alice",
  password: "alice-password",
  claims: { name: "Alice Example", preferred_username: "alice", email: "alice@example.com", email_verified: true },
};

/** A private JWK with alg, use and kid, from a key pair generated at start. */
function signingJwk(keyPair, alg) {
  return { ...keyPair.privateKey.export({ format: "jwk" }), alg, use: "sig", kid: `${alg.toLowerCase()}-${randomBytes(6).toString("hex")}` };
}

const jwks = {
  keys: [signingJwk(generateKeyPairSync("rsa", { modulusLength: 2048 }), "RS256"), signingJwk(generateKeyPairSync("ec", { namedCurve: "P-256" }), "ES256")],
};

async function findAccount(_ctx, id) {
  if (id !== ALICE.username) return undefined;
  return { accountId: id, claims: async () => ({ sub: id, ...ALICE.claims }) };
}

const clients = [
  {
    client_id: "postman",
    client_secret: "postman-secret",
    client_name: "Postman",
    grant_types: ["authorization_code", "refresh_token", "client_credentials"],
    response_types: ["code"],
    redirect_uris: [POSTMAN_REDIRECT_URI],
    token_endpoint_auth_method: "client_secret_basic",
  },
  {
    client_id: "spa",
    client_name: "Demo single-page app",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    redirect_uris: [SPA_REDIRECT_URI],
    token_endpoint_auth_method: "none",
  },
];

const HOUR = 60 * 60;
const configuration = {
  clients,
  jwks,
  findAccount,
  cookies: { keys: [randomBytes(32).toString("base64url")] },
  scopes: ["openid", "profile", "email", "offline_access"],
  claims: { openid: ["sub"], profile: ["name", "preferred_username"], email: ["email", "email_verified"] },
  responseTypes: ["code"],
  pkce: { required: () => true },
  // Gatehouse's CORS answers none of the benchmark's requests (they carry no Origin): nothing to configure alike.
  clientBasedCORS: () => false,
  rotateRefreshToken: true,
  // See the header: offline_access needs prompt=consent in oidc-provider, so issue by grant type.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
  ttl: { AccessToken: HOUR, AuthorizationCode: 60, ClientCredentials: HOUR, IdToken: HOUR, Interaction: HOUR, Grant: 14 * 24 * HOUR, RefreshToken: 14 * 24 * HOUR, Session: 14 * 24 * HOUR },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // Gatehouse's rule: only the client the token was issued to learns that it is active.
      allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
    },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Requests that name no resource get the demo API (so client_credentials yields a JWT, as in Gatehouse).
      defaultResource: async (_ctx, _client, oneOf) => oneOf ?? API_RESOURCE,
      getResourceServerInfo: async (_ctx, resource) => {
        if (resource !== API_RESOURCE) throw new errors.InvalidTarget();
        return { scope: "api", audience: API_RESOURCE, accessTokenTTL: HOUR, accessTokenFormat: "jwt", jwt: { sign: { alg: ACCESS_TOKEN_ALG } } };
      },
      useGrantedResource: async () => false,
    },
  },
  renderError: async (ctx, out) => {
    ctx.type = "html";
    ctx.body = page("Error", `<h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description ?? "")}</p>`);
  },
};

const provider = new Provider(ISSUER, configuration);

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main>${body}</main></body></html>`;
}

function loginPage(uid, error) {
  return page(
    "Sign in",
    `<h1>Sign in</h1>${error ? `<p role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/interaction/${uid}/login">
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>`,
  );
}

function consentPage(uid, clientName) {
  return page(
    "Authorize",
    `<h1>${escapeHtml(clientName)} wants access to your account</h1>
<form method="post" action="/interaction/${uid}/confirm">
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="allow">Allow</button></form>`,
  );
}

async function readForm(req) {
  let raw = "";
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 16 * 1024) throw new errors.InvalidRequest("request body too large");
  }
  return new URLSearchParams(raw);
}

function sendHtml(ctx, status, html) {
  ctx.status = status;
  ctx.type = "html";
  ctx.set("Cache-Control", "no-store");
  ctx.body = html;
}

const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm))?$/;

/** The login and consent pages: check alice's password, record consent to what the request asks. */
provider.use(async (ctx, next) => {
  const match = INTERACTION.exec(ctx.path);
  if (!match) return next();
  const [, uid, action] = match;
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) return sendHtml(ctx, 400, page("Error", "<p>Interaction mismatch.</p>"));
  const { prompt, params, session, grantId } = details;
  const finish = async (result, merge) => {
    ctx.status = 303;
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge }));
  };
  if (ctx.method === "GET" && !action) {
    if (prompt.name === "login") return sendHtml(ctx, 200, loginPage(uid));
    if (prompt.name === "consent") return sendHtml(ctx, 200, consentPage(uid, (await provider.Client.find(params.client_id))?.clientName ?? params.client_id));
    return sendHtml(ctx, 501, page("Error", "<p>Unsupported prompt.</p>"));
  }
  if (ctx.method === "POST" && action === "login" && prompt.name === "login") {
    const form = await readForm(ctx.req);
    if (form.get("username") !== ALICE.username || form.get("password") !== ALICE.password) {
      return sendHtml(ctx, 401, loginPage(uid, "Invalid username or password."));
    }
    return finish({ login: { accountId: ALICE.username } }, false);
  }
  if (ctx.method === "POST" && action === "confirm" && prompt.name === "consent") {
    const form = await readForm(ctx.req);
    if (form.get("decision") !== "allow") return finish({ error: "access_denied", error_description: "End-User denied the request" }, true);
    const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(" "));
    return finish({ consent: { grantId: await grant.save() } }, true);
  }
  return sendHtml(ctx, 405, page("Error", "<p>Not expected here.</p>"));
});

const version = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("oidc-provider/package.json"), "utf8")).version;
const server = provider.listen(PORT, HOST, () => {
  console.log(`reference ready: oidc-provider ${version} issuer ${ISSUER} pid ${process.pid} access tokens ${ACCESS_TOKEN_ALG}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
