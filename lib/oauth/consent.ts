// What the consent page shows and what it records. Framework-free: the page
// (a React server component and a server action) passes in the portal session.
// Each decision is recorded on the audit log (consent.granted / consent.denied).
import { AuditKinds } from "./audit";
import { ENDPOINT_PATHS, endpointUrl, type OAuthServerConfig } from "./config";
import type { AuditLog, AuthorizationStore, ClientStore, EndUserSession, InteractionStore, ScopeRecord, ScopeStore, UserStore } from "./ports";
import { StandardScopes } from "./scopes";

export interface ConsentDeps {
  config: OAuthServerConfig;
  clients: ClientStore;
  scopes: ScopeStore;
  authorizations: AuthorizationStore;
  interactions: InteractionStore;
  users: UserStore;
  audit: AuditLog;
}

export interface ConsentPrompt {
  interactionId: string;
  client: { clientId: string; displayName: string };
  user: { username: string; name: string };
  /** The requested scopes, in request order, with their consent-screen texts. */
  scopes: ScopeRecord[];
  /** Scopes the user cannot untick (openid: without it there is no sign-in). */
  requiredScopes: string[];
  /** Where the browser came from and goes back to. */
  redirectUri: string;
}

const INTERACTION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Where the browser continues after the login or consent page. */
export function authorizationResumeUrl(config: Pick<OAuthServerConfig, "issuer">, interactionId: string): string {
  return `${endpointUrl(config, ENDPOINT_PATHS.authorization)}?interaction=${encodeURIComponent(interactionId)}`;
}

/** The consent screen for an interaction of this user, or null when there is none to show. */
export async function loadConsentPrompt(
  deps: ConsentDeps,
  interactionId: string,
  session: EndUserSession,
): Promise<ConsentPrompt | null> {
  if (!INTERACTION_ID.test(interactionId)) return null;
  const interaction = await deps.interactions.findInteraction(interactionId);
  if (!interaction || interaction.userId !== session.userId) return null;
  const client = await deps.clients.findClientByClientId(interaction.request.clientId);
  if (!client || !client.enabled || client.id !== interaction.applicationId) return null;
  const [records, user] = await Promise.all([
    deps.scopes.findScopesByNames(interaction.request.scopes),
    deps.users.findUserById(session.userId),
  ]);
  if (!user) return null;
  const byName = new Map(records.map((record) => [record.name, record]));
  return {
    interactionId,
    client: { clientId: client.clientId, displayName: client.displayName },
    user: { username: user.username, name: user.name },
    scopes: interaction.request.scopes.map((name) => byName.get(name)).filter((scope): scope is ScopeRecord => !!scope),
    requiredScopes: interaction.request.scopes.filter((name) => name === StandardScopes.openid),
    redirectUri: interaction.request.redirectUri,
  };
}

export type ConsentDecision = { decision: "allow"; scopes: string[] } | { decision: "deny" };

export type ConsentOutcome = { status: "recorded"; location: string } | { status: "not_found" };

/**
 * Records the user's decision on the interaction and, for explicit consent,
 * remembers it as a permanent authorization. Only scopes that were requested
 * (and so checked against the client's permissions) can be granted.
 */
export async function recordConsentDecision(
  deps: ConsentDeps,
  interactionId: string,
  session: EndUserSession,
  choice: ConsentDecision,
  /** The user's network address, for the audit log. */
  ip: string | null = null,
): Promise<ConsentOutcome> {
  if (!INTERACTION_ID.test(interactionId)) return { status: "not_found" };
  const interaction = await deps.interactions.findInteraction(interactionId);
  if (!interaction || interaction.userId !== session.userId) return { status: "not_found" };
  const location = authorizationResumeUrl(deps.config, interactionId);
  const event = { actor: session.userId, userId: session.userId, clientId: interaction.request.clientId, ip };
  if (choice.decision === "deny") {
    await deps.interactions.updateInteraction(interactionId, { consent: "denied", grantedScopes: [] });
    await deps.audit.record({ ...event, kind: AuditKinds.consentDenied, details: { requested: interaction.request.scopes } });
    return { status: "recorded", location };
  }
  const requested = interaction.request.scopes;
  const granted = requested.filter((name) => choice.scopes.includes(name) || name === StandardScopes.openid);
  const client = await deps.clients.findClientByClientId(interaction.request.clientId);
  if (!client || !client.enabled || client.id !== interaction.applicationId) return { status: "not_found" };
  if (client.consentType === "explicit") {
    await deps.authorizations.savePermanentAuthorization(session.userId, client.id, granted);
  }
  await deps.interactions.updateInteraction(interactionId, { consent: "granted", grantedScopes: granted });
  const declined = requested.filter((name) => !granted.includes(name));
  await deps.audit.record({
    ...event,
    kind: AuditKinds.consentGranted,
    // remembered: explicit consent is kept for the next authorization; other types ask again.
    details: { scopes: granted, ...(declined.length > 0 ? { declined } : {}), remembered: client.consentType === "explicit" },
  });
  return { status: "recorded", location };
}
