// CORS on the endpoints browser apps call directly: token, userinfo and
// revocation (RFC 9700 §2.6 allows them; never the authorization endpoint).
// An origin is allowed only where a client registered a redirect URI: a
// browser app's origin is where it receives its authorization responses
// (Fetch Standard §3.2 for the headers; docs/decisions/0012-proxies-client-limits-cors.md).
//
// - An actual request from an identified client (the one that authenticated,
//   the one a userinfo token was issued to) gets Access-Control-Allow-Origin
//   only when that client has a redirect URI at the request's Origin: the
//   client's own record decides, at no extra cost.
// - A preflight carries no client identity: it is allowed when some enabled
//   client registers a redirect URI at the origin (RegisteredOrigins, cached).
//   So is a refusal made before any client was identified, so that a browser
//   app can read why it failed; such an answer carries no client's data.
// Never "*", never credentials.
import { OAuthError, logUnexpectedError, oauthErrorResponse } from "./errors";
import type { ClientRecord } from "./ports";

/** The origin a redirect URI's responses arrive at, for http(s) URIs; null for private-use schemes and garbage. */
export function redirectUriOrigin(uri: string): string | null {
  if (!/^https?:\/\//i.test(uri)) return null;
  try {
    const origin = new URL(uri).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

/**
 * Whether `client` registered a redirect URI at `origin`, compared as the
 * browser serializes it (scheme, host, port). The loopback any-port allowance
 * of redirectUris.ts is not extended here: it exists for native apps, which
 * do not need CORS.
 */
export function clientRegistersOrigin(client: Pick<ClientRecord, "redirectUris">, origin: string): boolean {
  return client.redirectUris.some((uri) => redirectUriOrigin(uri) === origin);
}

/** The port behind preflights: whether some enabled client registers a redirect URI at `origin`. */
export interface RegisteredOrigins {
  isRegisteredOrigin(origin: string): Promise<boolean>;
}

/** The redirect URIs of every enabled client (lib/db/redirectOrigins.ts). */
export interface RedirectUriSource {
  listEnabledRedirectUris(): Promise<string[]>;
}

/**
 * RegisteredOrigins from a per-process set of origins, so a preflight costs a
 * lookup. An origin not in the set reloads it (at most once per
 * `minReloadMs`, so random origins cannot hammer the database): a client just
 * registered works at once. An origin removed stays allowed for preflights
 * for at most `maxAgeMs`; the actual request is then still checked against
 * its client's current record, so nothing leaks through the stale entry.
 */
export class RegisteredOriginCache implements RegisteredOrigins {
  private origins = new Set<string>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | null = null;
  /** Bumped by invalidate(): a load begun before it is neither joined nor kept as fresh. */
  private generation = 0;
  private loadingGeneration = -1;

  constructor(
    private readonly source: RedirectUriSource,
    private readonly options: { maxAgeMs?: number; minReloadMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The clients changed (a notification said so, lib/db/catalogCache.ts): the next preflight reloads. */
  invalidate(): void {
    this.generation++;
    this.loadedAt = Number.NEGATIVE_INFINITY;
  }

  private reload(): Promise<void> {
    if (this.loading && this.loadingGeneration === this.generation) return this.loading;
    const generation = this.generation;
    const loading: Promise<void> = this.source
      .listEnabledRedirectUris()
      .then((uris) => {
        const origins = new Set<string>();
        for (const uri of uris) {
          const origin = redirectUriOrigin(uri);
          if (origin) origins.add(origin);
        }
        this.origins = origins;
        // Read before an invalidation: used for this answer, not trusted for the next.
        this.loadedAt = generation === this.generation ? this.now() : Number.NEGATIVE_INFINITY;
      })
      .finally(() => {
        if (this.loading === loading) this.loading = null;
      });
    this.loading = loading;
    this.loadingGeneration = generation;
    return loading;
  }

  async isRegisteredOrigin(origin: string): Promise<boolean> {
    const age = this.now() - this.loadedAt;
    if (age > (this.options.maxAgeMs ?? 60_000)) await this.reload();
    else if (!this.origins.has(origin) && age > (this.options.minReloadMs ?? 2_000)) await this.reload();
    return this.origins.has(origin);
  }
}

export interface CorsOptions {
  /** Methods the endpoint serves (the preflight's Access-Control-Allow-Methods). */
  methods: string[];
  /** Response headers a browser app may read besides the safelisted ones. */
  exposeHeaders?: string[];
}

/** What an endpoint with CORS needs. Without `origins` no origin is ever allowed. */
export interface CorsDeps {
  origins?: RegisteredOrigins;
}

/**
 * Filled in by the endpoint while it works: the client the request turned out
 * to come from (null until known), whose redirect URIs decide the actual response.
 */
export interface CorsIdentity {
  client: Pick<ClientRecord, "redirectUris"> | null;
}

const ALLOWED_REQUEST_HEADERS = "Authorization, Content-Type";
/** How long a browser may cache a preflight answer (Chromium caps it at 7200 s). */
const PREFLIGHT_MAX_AGE_SECONDS = "600";

/** The request's Origin when it is a serialized http(s) origin; "null" and garbage are never allowed. */
function requestOrigin(request: Request): string | null {
  const origin = request.headers.get("origin");
  return origin && /^https?:\/\/[^/?#\s]+$/i.test(origin) ? origin : null;
}

function addVaryOrigin(headers: Headers): void {
  const vary = headers.get("vary");
  if (!vary) headers.set("Vary", "Origin");
  else if (!/(^|,)\s*origin\s*(,|$)/i.test(vary)) headers.set("Vary", `${vary}, Origin`);
}

/** For a refusal that is already decided: a store failure only means its answer stays unreadable cross-origin. */
async function isRegisteredOriginOrFalse(deps: CorsDeps, origin: string): Promise<boolean> {
  try {
    return deps.origins !== undefined && (await deps.origins.isRegisteredOrigin(origin));
  } catch {
    return false;
  }
}

/** The OPTIONS answer: a CORS preflight from a registered origin, a refusal for others, or a plain Allow. */
async function answerOptions(request: Request, deps: CorsDeps, options: CorsOptions): Promise<Response> {
  const allow = [...options.methods, "OPTIONS"].join(", ");
  const origin = request.headers.get("origin");
  if (origin === null) return new Response(null, { status: 204, headers: { Allow: allow } });
  const allowed = requestOrigin(request);
  let registered: boolean;
  try {
    registered = allowed !== null && deps.origins !== undefined && (await deps.origins.isRegisteredOrigin(allowed));
  } catch (error) {
    logUnexpectedError(error, request);
    return oauthErrorResponse(new OAuthError("temporarily_unavailable", "The registered origins could not be read; retry the request."));
  }
  if (registered && allowed !== null) {
    return new Response(null, {
      status: 204,
      headers: {
        Allow: allow,
        "Access-Control-Allow-Origin": allowed,
        "Access-Control-Allow-Methods": options.methods.join(", "),
        "Access-Control-Allow-Headers": ALLOWED_REQUEST_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_SECONDS,
        Vary: "Origin",
      },
    });
  }
  // No Access-Control-* header: the browser refuses the call; the body tells a developer why.
  return new Response(
    JSON.stringify({
      error: "invalid_request",
      error_description:
        "This origin is not the origin of any registered redirect URI: register the browser app's redirect URI on its client to call this endpoint from it.",
    }),
    { status: 403, headers: { "Content-Type": "application/json", "Cache-Control": "no-store", Allow: allow, Vary: "Origin" } },
  );
}

/**
 * Wraps an endpoint: answers OPTIONS, and adds Access-Control-Allow-Origin to
 * the actual response when the rules above allow the request's Origin. The
 * handler names the client it identified through `identity`.
 */
export function withClientCors(
  handler: (request: Request, identity: CorsIdentity) => Promise<Response>,
  deps: CorsDeps,
  options: CorsOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method === "OPTIONS") return answerOptions(request, deps, options);
    const identity: CorsIdentity = { client: null };
    const response = await handler(request, identity);
    if (!request.headers.has("origin")) return response;
    // The answer depends on Origin whether or not it is allowed.
    addVaryOrigin(response.headers);
    const origin = requestOrigin(request);
    if (origin === null) return response;
    const allowed = identity.client
      ? clientRegistersOrigin(identity.client, origin)
      : response.status >= 400 && (await isRegisteredOriginOrFalse(deps, origin));
    if (allowed) {
      response.headers.set("Access-Control-Allow-Origin", origin);
      if (options.exposeHeaders) response.headers.set("Access-Control-Expose-Headers", options.exposeHeaders.join(", "));
    }
    return response;
  };
}
