// /api/v1/users/{id}/… and /api/v1/clients/{client_id}/…: authorizations and
// live tokens of one user or one client, listed and revoked as on the
// dashboard's grants pages (lib/forms/grantActions.ts checks the ids).
import { z } from "zod";
import { findGrantClient, findGrantUser, listAuthorizations, listLiveTokens, type AuthorizationListItem, type LiveTokenListItem } from "../db/grants";
import { createClientStore } from "../db/repositories";
import { revokeAuthorizationInput, revokeTokenInput, type GrantOwner } from "../forms/grantActions";
import type { OperationContext } from "./context";
import { revokeAuthorizationOperation, revokeTokenOperation } from "./grantOperations";
import { answerOf, fieldProblems, invalidInput, notFound, route, type ApiRoute } from "./routes";

const TAG = "Authorizations and tokens";
const PAGE_SIZE = 50;

const pageQuery = z.strictObject({ page: z.coerce.number().int().min(1).max(100_000).default(1) });

const authorizationRepresentation = z
  .object({
    id: z.uuid(),
    user_id: z.uuid(),
    username: z.string(),
    client_id: z.string(),
    client_name: z.string(),
    scope: z.string(),
    type: z.enum(["permanent", "ad-hoc"]),
    created_at: z.iso.datetime(),
    live_tokens: z.int(),
  })
  .meta({ title: "Authorization" });

const tokenRepresentation = z
  .object({
    id: z.uuid().describe("The token's record id (never the token itself)."),
    kind: z.enum(["access_token", "refresh_token"]),
    client_id: z.string(),
    client_name: z.string(),
    user_id: z.uuid().nullable(),
    username: z.string().nullable(),
    scope: z.string(),
    created_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
    authorization_id: z.uuid().nullable(),
  })
  .meta({ title: "Token" });

function authorizationOf(item: AuthorizationListItem) {
  return {
    id: item.id,
    user_id: item.userId,
    username: item.username,
    client_id: item.clientId,
    client_name: item.clientDisplayName,
    scope: item.scopes.map((scope) => scope.name).join(" "),
    type: item.type,
    created_at: item.createdAt.toISOString(),
    live_tokens: item.liveTokens,
  };
}

function tokenOf(item: LiveTokenListItem) {
  return {
    id: item.id,
    kind: item.kind,
    client_id: item.clientId,
    client_name: item.clientDisplayName,
    user_id: item.userId,
    username: item.username,
    scope: item.scopes.map((scope) => scope.name).join(" "),
    created_at: item.createdAt.toISOString(),
    expires_at: item.expiresAt.toISOString(),
    authorization_id: item.authorizationId,
  };
}

interface OwnerKind {
  /** "users/{id}" or "clients/{client_id}". */
  base: string;
  params: z.ZodObject;
  name: "User" | "Client";
  resolve(operation: OperationContext, params: Record<string, string>): Promise<GrantOwner>;
}

const OWNERS: OwnerKind[] = [
  {
    base: "/users/{id}",
    params: z.object({ id: z.uuid("That is not a user id.") }),
    name: "User",
    async resolve(operation, params) {
      const user = await findGrantUser(operation.db, params.id!);
      if (!user) throw notFound("There is no such user.");
      return { ownerType: "user", ownerId: params.id! };
    },
  },
  {
    base: "/clients/{client_id}",
    params: z.object({ client_id: z.string().min(1).max(200) }),
    name: "Client",
    async resolve(operation, params) {
      const client = await createClientStore(operation.db).findClientByClientId(params.client_id!);
      if (!client || !(await findGrantClient(operation.db, client.id))) throw notFound(`There is no client with the client_id ${params.client_id}.`);
      return { ownerType: "client", ownerId: client.id };
    },
  },
];

function checked<S extends z.ZodType>(schema: S, values: unknown): z.output<S> {
  const result = schema.safeParse(values);
  if (!result.success) throw invalidInput(fieldProblems(result.error.issues, "path", { authorizationId: "authorization_id", tokenId: "token_id" }));
  return result.data;
}

function routesFor(owner: OwnerKind): ApiRoute[] {
  const whose = owner.name === "User" ? "a user's (issued on their behalf)" : "a client's";
  return [
    route({
      method: "GET",
      path: `${owner.base}/authorizations`,
      operationId: `list${owner.name}Authorizations`,
      tag: TAG,
      summary: `List ${whose} authorizations`,
      description: `Valid consents, newest first, ${PAGE_SIZE} a page.`,
      params: owner.params,
      query: pageQuery,
      success: { status: 200, description: "One page.", schema: z.object({ authorizations: z.array(authorizationRepresentation), page: z.int(), has_next: z.boolean() }) },
      problems: [404],
      async run({ params, query, operation }) {
        const resolved = await owner.resolve(operation, params as Record<string, string>);
        const filter = resolved.ownerType === "user" ? { userId: resolved.ownerId } : { applicationId: resolved.ownerId };
        const page = await listAuthorizations(operation.db, filter, { limit: PAGE_SIZE, offset: (query.page - 1) * PAGE_SIZE });
        return { status: 200, body: { authorizations: page.items.map(authorizationOf), page: query.page, has_next: page.hasMore } };
      },
    }),
    route({
      method: "DELETE",
      path: `${owner.base}/authorizations/{authorization_id}`,
      operationId: `revoke${owner.name}Authorization`,
      tag: TAG,
      summary: `Revoke one of ${whose} authorizations`,
      description: "The authorization and every token issued under it.",
      params: owner.params.extend({ authorization_id: z.string() }),
      success: { status: 200, description: "Revoked.", schema: z.object({ revoked_tokens: z.int() }) },
      problems: [404],
      async run({ params, operation }) {
        const values = params as Record<string, string>;
        const input = checked(revokeAuthorizationInput, { authorizationId: values.authorization_id, owner: await owner.resolve(operation, values) });
        return answerOf(await revokeAuthorizationOperation(operation, input), (data) => ({ status: 200, body: { revoked_tokens: data.revokedTokens } }));
      },
    }),
    route({
      method: "GET",
      path: `${owner.base}/tokens`,
      operationId: `list${owner.name}Tokens`,
      tag: TAG,
      summary: `List ${whose} live tokens`,
      description: `Access and refresh tokens that still work, newest first, ${PAGE_SIZE} a page.`,
      params: owner.params,
      query: pageQuery,
      success: { status: 200, description: "One page.", schema: z.object({ tokens: z.array(tokenRepresentation), page: z.int(), has_next: z.boolean() }) },
      problems: [404],
      async run({ params, query, operation }) {
        const resolved = await owner.resolve(operation, params as Record<string, string>);
        const filter = resolved.ownerType === "user" ? { userId: resolved.ownerId } : { applicationId: resolved.ownerId };
        const page = await listLiveTokens(operation.db, filter, { limit: PAGE_SIZE, offset: (query.page - 1) * PAGE_SIZE });
        return { status: 200, body: { tokens: page.items.map(tokenOf), page: query.page, has_next: page.hasMore } };
      },
    }),
    route({
      method: "DELETE",
      path: `${owner.base}/tokens/{token_id}`,
      operationId: `revoke${owner.name}Token`,
      tag: TAG,
      summary: `Revoke one of ${whose} tokens`,
      description: "An access token alone; a refresh token with its whole grant (RFC 7009 §2.1).",
      params: owner.params.extend({ token_id: z.string() }),
      success: { status: 200, description: "Revoked.", schema: z.object({ extent: z.enum(["token", "grant"]), revoked_tokens: z.int() }) },
      problems: [404],
      async run({ params, operation }) {
        const values = params as Record<string, string>;
        const input = checked(revokeTokenInput, { tokenId: values.token_id, owner: await owner.resolve(operation, values) });
        return answerOf(await revokeTokenOperation(operation, input), (data) => ({ status: 200, body: { extent: data.extent, revoked_tokens: data.revokedTokens } }));
      },
    }),
  ];
}

export const grantRoutes: ApiRoute[] = OWNERS.flatMap(routesFor);
