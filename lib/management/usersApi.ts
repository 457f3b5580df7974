// /api/v1/users: the dashboard's user operations. Bodies are checked by the
// user forms' schemas (lib/forms/userForm.ts); the rules that protect the last
// administrator are lib/db/userAdmin.ts's, as on the dashboard.
import { z } from "zod";
import { ADMIN_ROLE, findUserForAdmin, searchUsers, type AdminUserRow } from "../db/userAdmin";
import { createUserSchema, resetPasswordSchema, updateUserSchema } from "../forms/userForm";
import type { OperationContext } from "./context";
import {
  createUserOperation,
  deleteUserOperation,
  disableUserOperation,
  enableUserOperation,
  resetPasswordOperation,
  setAdminRoleOperation,
  updateUserOperation,
} from "./userOperations";
import { answerOf, fieldProblems, invalidInput, notFound, route, type FieldNames } from "./routes";

const TAG = "Users";
const PAGE_SIZE = 25;
const USER_FIELD_NAMES: FieldNames = { emailVerified: "email_verified" };

const profileFields = {
  username: z.string().describe('Letters, digits, ".", "_" and "-", starting with a letter or digit.'),
  email: z.string().default("").describe('"" for none.'),
  name: z.string().default(""),
  email_verified: z.boolean().default(false),
};

const userCreateBody = z.strictObject({ ...profileFields, password: z.string().describe("At least 12 characters.") }).meta({ title: "UserCreate" });
const userUpdateBody = z
  .strictObject({
    ...profileFields,
    enabled: z.boolean().optional().describe("false: disabled, every session ended and every live token revoked (never the last administrator)."),
    admin: z.boolean().optional().describe("The admin role (never removed from the last enabled administrator)."),
  })
  .meta({ title: "UserUpdate", description: "The profile; fields left out take their defaults. enabled and admin change only when sent." });

const userRepresentation = z
  .object({
    id: z.uuid(),
    username: z.string(),
    email: z.string().nullable(),
    email_verified: z.boolean(),
    name: z.string(),
    admin: z.boolean(),
    enabled: z.boolean(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ title: "User" });

const idParams = z.object({ id: z.uuid("That is not a user id.") });
const pageQuery = z.strictObject({
  search: z.string().max(200).default("").describe("Part of the username, email address or name."),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});

function userOf(user: AdminUserRow) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name,
    admin: user.roles.includes(ADMIN_ROLE),
    enabled: user.enabled,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

function profileInput(body: z.output<typeof userUpdateBody> | z.output<typeof userCreateBody>) {
  return { username: body.username, email: body.email, name: body.name, emailVerified: body.email_verified };
}

function checkedBy<S extends z.ZodType>(schema: S, values: unknown): z.output<S> {
  const result = schema.safeParse(values);
  if (!result.success) throw invalidInput(fieldProblems(result.error.issues, "body", USER_FIELD_NAMES));
  return result.data;
}

async function userById(operation: OperationContext, id: string) {
  const user = await findUserForAdmin(operation.db, id);
  if (!user) throw notFound("There is no such user.");
  return user;
}

export const userRoutes = [
  route({
    method: "GET",
    path: "/users",
    operationId: "listUsers",
    tag: TAG,
    summary: "List users",
    description: `${PAGE_SIZE} a page, by username.`,
    query: pageQuery,
    success: { status: 200, description: "One page of users.", schema: z.object({ users: z.array(userRepresentation), page: z.int(), has_next: z.boolean() }) },
    async run({ query, operation }) {
      const result = await searchUsers(operation.db, { query: query.search, page: query.page, pageSize: PAGE_SIZE });
      return { status: 200, body: { users: result.users.map(userOf), page: query.page, has_next: result.hasNext } };
    },
  }),
  route({
    method: "POST",
    path: "/users",
    operationId: "createUser",
    tag: TAG,
    summary: "Create a user",
    body: userCreateBody,
    success: { status: 201, description: "The user.", schema: userRepresentation },
    problems: [409],
    async run({ body, operation }) {
      const input = checkedBy(createUserSchema, { ...profileInput(body), password: body.password });
      const created = answerOf(await createUserOperation(operation, input), (data) => ({ status: 201, body: data }), USER_FIELD_NAMES);
      return { status: 201, body: userOf(await userById(operation, (created.body as { id: string }).id)) };
    },
  }),
  route({
    method: "GET",
    path: "/users/{id}",
    operationId: "getUser",
    tag: TAG,
    summary: "Read a user",
    params: idParams,
    success: {
      status: 200,
      description: "The user, with counts of open sessions and live tokens.",
      schema: userRepresentation.extend({ active_sessions: z.int(), live_tokens: z.int() }),
    },
    problems: [404],
    async run({ params, operation }) {
      const user = await userById(operation, params.id);
      return { status: 200, body: { ...userOf(user), active_sessions: user.activeSessions, live_tokens: user.liveTokens } };
    },
  }),
  route({
    method: "PUT",
    path: "/users/{id}",
    operationId: "updateUser",
    tag: TAG,
    summary: "Replace a user's profile; enable, disable, grant or remove the admin role",
    params: idParams,
    body: userUpdateBody,
    success: { status: 200, description: "The user.", schema: userRepresentation },
    problems: [404, 409],
    async run({ params, body, operation }) {
      const input = checkedBy(updateUserSchema, { id: params.id, ...profileInput(body) });
      answerOf(await updateUserOperation(operation, input), () => ({ status: 200 }), USER_FIELD_NAMES);
      if (body.admin !== undefined) answerOf(await setAdminRoleOperation(operation, { id: params.id, admin: body.admin }), () => ({ status: 200 }));
      if (body.enabled === false) answerOf(await disableUserOperation(operation, { id: params.id }), () => ({ status: 200 }));
      if (body.enabled === true) answerOf(await enableUserOperation(operation, { id: params.id }), () => ({ status: 200 }));
      return { status: 200, body: userOf(await userById(operation, params.id)) };
    },
  }),
  route({
    method: "DELETE",
    path: "/users/{id}",
    operationId: "deleteUser",
    tag: TAG,
    summary: "Delete a user",
    description: "Their sessions, authorizations and tokens go with them; refused (409) for the last enabled administrator.",
    params: idParams,
    success: { status: 204, description: "Deleted." },
    problems: [404, 409],
    async run({ params, operation }) {
      return answerOf(await deleteUserOperation(operation, { id: params.id }), () => ({ status: 204 }));
    },
  }),
  route({
    method: "POST",
    path: "/users/{id}/password",
    operationId: "resetUserPassword",
    tag: TAG,
    summary: "Set a new password",
    description: "Every session of the user ends and every live token of theirs is revoked.",
    params: idParams,
    body: z.strictObject({ password: z.string().describe("At least 12 characters.") }),
    success: { status: 204, description: "Set." },
    problems: [404],
    async run({ params, body, operation }) {
      const input = checkedBy(resetPasswordSchema, { id: params.id, password: body.password });
      return answerOf(await resetPasswordOperation(operation, input), () => ({ status: 204 }), USER_FIELD_NAMES);
    },
  }),
];
