// POST /connect/token: parse once, authenticate the client, check its
// permissions, hand over to the grant, answer with no-store. Every answer is
// on the audit log: token.issued for a success, token.refused (reason = the
// OAuth error code) for a refusal — recorded before the answer leaves.
import { AuditKinds, clipDetail, requestAddress, type AuditDeps } from "./audit";
import { authenticateClient, readPresentedCredentials } from "./clientAuthentication";
import { isThrottleRefusal, type ClientLimitDeps } from "./clientRateLimit";
import { withClientCors, type CorsDeps, type CorsIdentity } from "./cors";
import { OAuthError, asOAuthError, logUnexpectedError, oauthErrorResponse, type ErrorLog } from "./errors";
import { FormParameters, readFormBody, requireMethod } from "./http";
import { authorizationCodeGrant, type AuthorizationCodeDeps } from "./grants/authorizationCode";
import { clientCredentialsGrant, type ClientCredentialsDeps, type GrantContext, type GrantResult } from "./grants/clientCredentials";
import { refreshTokenGrant, type RefreshTokenDeps } from "./grants/refreshToken";
import { Permissions, hasPermission } from "./permissions";
import type { AuditEventInput, ClientRecord, ClientStore } from "./ports";
import { tokenResponse } from "./tokenResponse";

export interface TokenEndpointDeps
  extends ClientCredentialsDeps, AuthorizationCodeDeps, RefreshTokenDeps, AuditDeps, ClientLimitDeps, CorsDeps {
  clients: ClientStore;
  log?: ErrorLog;
}

type GrantHandler = (deps: TokenEndpointDeps, client: ClientRecord, form: FormParameters, context: GrantContext) => Promise<GrantResult>;

/** Grants this server implements; the discovery document lists exactly these. */
export const grantHandlers: Record<string, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  client_credentials: clientCredentialsGrant,
  refresh_token: refreshTokenGrant,
};

export const SUPPORTED_GRANT_TYPES = Object.keys(grantHandlers);

/** What is known about a token request so far, for its audit event. */
interface TokenAttempt {
  ip: string | null;
  form: FormParameters | null;
  grantType: string | null;
  /** The authenticated client's id (null until authenticated). */
  clientId: string | null;
}

const NO_FORM = FormParameters.fromSearchParams(new URLSearchParams());

/**
 * The client_id a request names (Basic header or body), even when it will fail
 * to authenticate; without a readable body, the Basic header's alone.
 */
function presentedClientId(headers: Headers, form: FormParameters = NO_FORM): string | null {
  try {
    return readPresentedCredentials(headers, form).clientId;
  } catch {
    // Malformed or conflicting credentials: the body's client_id is still what the request claimed.
    return form.get("client_id") ?? null;
  }
}

function issuedEvent(attempt: TokenAttempt, result: GrantResult): AuditEventInput {
  const { body } = result;
  const tokens = ["access_token", ...(body.refresh_token !== undefined ? ["refresh_token"] : []), ...(body.id_token !== undefined ? ["id_token"] : [])];
  return {
    kind: AuditKinds.tokenIssued,
    clientId: attempt.clientId,
    userId: result.userId,
    ip: attempt.ip,
    details: { grant_type: attempt.grantType, scopes: body.scope?.split(" ") ?? [], tokens, jti: result.accessTokenJti },
  };
}

function refusedEvent(attempt: TokenAttempt, refusal: OAuthError): AuditEventInput {
  return {
    kind: AuditKinds.tokenRefused,
    clientId: attempt.clientId,
    ip: attempt.ip,
    reason: refusal.code,
    details: {
      ...(attempt.grantType !== null ? { grant_type: clipDetail(attempt.grantType) } : {}),
      // Descriptions name parameters and client ids, never the values of secrets, codes or tokens.
      description: clipDetail(refusal.description),
    },
  };
}

export function createTokenEndpoint(deps: TokenEndpointDeps): (request: Request) => Promise<Response> {
  const log = deps.log ?? logUnexpectedError;
  async function issue(request: Request, attempt: TokenAttempt, identity: CorsIdentity): Promise<Response> {
    requireMethod(request, ["POST"]);
    const form = await readFormBody(request);
    attempt.form = form;
    attempt.grantType = form.get("grant_type") ?? null;
    const grantType = form.require("grant_type", `Use one of: ${SUPPORTED_GRANT_TYPES.join(", ")}.`);
    const grant = Object.hasOwn(grantHandlers, grantType) ? grantHandlers[grantType] : undefined;
    if (!grant) {
      throw new OAuthError(
        "unsupported_grant_type",
        `The grant type '${grantType}' is not supported here; supported: ${SUPPORTED_GRANT_TYPES.join(", ")}.`,
      );
    }
    const { client } = await authenticateClient(request.headers, form, deps.clients, { limiter: deps.limiter, address: attempt.ip });
    attempt.clientId = client.clientId;
    identity.client = client;
    if (!hasPermission(client, Permissions.endpoint.token)) {
      throw new OAuthError("unauthorized_client", `The client '${client.clientId}' is not permitted to use the token endpoint.`);
    }
    if (!hasPermission(client, Permissions.grantType(grantType))) {
      throw new OAuthError(
        "unauthorized_client",
        `The client '${client.clientId}' is not permitted to use the ${grantType} grant; an administrator can grant it the permission.`,
      );
    }
    const result = await grant(deps, client, form, { ip: attempt.ip });
    // Awaited: no token leaves without its record. Should the write fail, the client gets a
    // server_error instead of tokens nobody could account for.
    await deps.audit.record(issuedEvent(attempt, result));
    return tokenResponse(result.body);
  }

  const endpoint = async (request: Request, identity: CorsIdentity): Promise<Response> => {
    const attempt: TokenAttempt = { ip: requestAddress(deps, request), form: null, grantType: null, clientId: null };
    try {
      return await issue(request, attempt, identity);
    } catch (error) {
      const refusal = asOAuthError(error, request, log);
      // A throttled request is answered without a record each: the refusals that led to the
      // lockout are on the log, and a flood of throttled requests must not become a flood of writes.
      if (isThrottleRefusal(refusal)) return oauthErrorResponse(refusal);
      // Refused before (or while) authenticating: the client_id the request presented.
      attempt.clientId ??= presentedClientId(request.headers, attempt.form ?? undefined);
      // A refusal hands nothing out: if its record cannot be written, the answer stands and the log says so.
      await deps.audit.record(refusedEvent(attempt, refusal)).catch((auditError: unknown) => log(auditError, request));
      return oauthErrorResponse(refusal);
    }
  };
  return withClientCors(endpoint, deps, { methods: ["POST"], exposeHeaders: ["Retry-After", "WWW-Authenticate"] });
}
