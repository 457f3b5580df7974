// Config as code (issue #13 item 7, docs/decisions/0021-config-as-code.md): a
// JSON file declaring clients and scopes in the management API's shapes
// (RFC 7591 metadata names; ./clientsApi.ts, ./scopesApi.ts), checked by the
// same zod schemas and then by the dashboard forms' own rules. Every problem is
// reported with its JSON path, so a CI job shows them all at once. Secrets are
// never in the file: a confidential client names the environment variable that
// holds its secret (client_secret_env). Pure: no database, no process.env.
import { z } from "zod";
import { clientSettingsFromForm, createClientSchema, type ClientSettings } from "../forms/clientForm";
import { createScopeSchema, resourcesFromText } from "../forms/scopeForm";
import type { ScopeWrite } from "../db/scopeAdmin";
import { CLIENT_FIELD_NAMES, clientFormValuesOf, clientMetadataShape, responseTypesProblem } from "./clientsApi";
import type { FieldNames } from "./routes";
import { SCOPE_FIELD_NAMES, scopeFields, scopeFormValuesOf } from "./scopesApi";

/** One thing wrong with the file: where (a JSONPath such as $.clients[0].redirect_uris) and what. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/**
 * Secrets are stored as one SHA-256 hash (lib/oauth/secrets.ts), safe only for long random values; the
 * generated ones have 43 characters (256 bits).
 */
export const MIN_SECRET_LENGTH = 32;

/** POSIX-style environment variable names: letters, digits and _, not starting with a digit. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const clientEntry = z.strictObject({
  client_id: z.string().min(1, "Every client needs a client_id: it is how the file's clients are matched to the stored ones."),
  ...clientMetadataShape,
  client_secret_env: z
    .string()
    .regex(ENV_NAME, "Name an environment variable (letters, digits and _; not starting with a digit).")
    .optional()
    .describe("The environment variable holding a confidential client's secret."),
  enabled: z.boolean().optional().describe("Left out: not managed by the file."),
});

const scopeEntry = z.strictObject({ name: z.string(), ...scopeFields });

const fileShape = z.strictObject({
  $schema: z.string().optional(),
  clients: z.array(z.unknown()).default([]),
  scopes: z.array(z.unknown()).default([]),
});

export type ClientEntry = z.output<typeof clientEntry>;

/** A client as the file declares it, checked: the form's values and the settings they mean. */
export interface DeclaredClient {
  /** Where it is in the file ($.clients[3]). */
  path: string;
  clientId: string;
  entry: ClientEntry;
  /** The client form's values, as the client operations take them. */
  form: z.output<typeof createClientSchema>;
  settings: ClientSettings;
  /** The environment variable with its secret (confidential clients only). */
  secretEnv: string | null;
  /** Null: the file leaves the enabled flag alone. */
  enabled: boolean | null;
}

export interface DeclaredScope {
  path: string;
  name: string;
  /** The scope form's values, as the scope operations take them. */
  form: z.output<typeof createScopeSchema>;
  write: ScopeWrite;
}

export interface ConfigDocument {
  clients: DeclaredClient[];
  scopes: DeclaredScope[];
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: ConfigProblem[] };

/** $ + a zod path: $.clients[0].redirect_uris. */
export function jsonPath(parts: readonly PropertyKey[]): string {
  return parts.reduce<string>((path, part) => (typeof part === "number" ? `${path}[${part}]` : `${path}.${String(part)}`), "$");
}

/** zod issues under `base`; a form field's name becomes the file's (RFC 7591) name. */
function problemsOf(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[], names: FieldNames = {}): ConfigProblem[] {
  return issues.flatMap((issue) => {
    const parts = issue.path.map((part, index) => (index === 0 && typeof part === "string" ? (names[part] ?? part) : part));
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: jsonPath([...base, ...parts, key]), message: `Unknown field ${key}.` }));
    }
    return [{ path: jsonPath([...base, ...parts]), message: issue.message }];
  });
}

/** RFC 7591 §3.2.1's client_secret in the file: refused, whatever else is wrong. */
const SECRET_IN_FILE =
  "A secret never goes in the file: put it in an environment variable and name that variable in client_secret_env.";

function checkClient(raw: unknown, index: number): Checked<DeclaredClient> {
  const base = ["clients", index] as const;
  const problems: ConfigProblem[] = [];
  let candidate = raw;
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw) && Object.hasOwn(raw, "client_secret")) {
    problems.push({ path: jsonPath([...base, "client_secret"]), message: SECRET_IN_FILE });
    const { client_secret: _dropped, ...rest } = raw as Record<string, unknown>;
    candidate = rest;
  }
  const parsed = clientEntry.safeParse(candidate);
  if (!parsed.success) return { ok: false, problems: [...problems, ...problemsOf(parsed.error.issues, base)] };
  const entry = parsed.data;
  const responseTypes = responseTypesProblem(entry);
  if (responseTypes) problems.push({ path: jsonPath([...base, "response_types"]), message: responseTypes });
  const form = createClientSchema.safeParse({ clientId: entry.client_id, ...clientFormValuesOf(entry) });
  if (!form.success) problems.push(...problemsOf(form.error.issues, base, CLIENT_FIELD_NAMES));
  const confidential = entry.token_endpoint_auth_method !== "none";
  if (confidential && entry.client_secret_env === undefined) {
    problems.push({
      path: jsonPath([...base, "client_secret_env"]),
      message: "A confidential client needs client_secret_env: the name of the environment variable holding its secret.",
    });
  }
  if (!confidential && entry.client_secret_env !== undefined) {
    problems.push({ path: jsonPath([...base, "client_secret_env"]), message: "A public client (token_endpoint_auth_method none) has no secret: remove client_secret_env." });
  }
  if (problems.length > 0 || !form.success) return { ok: false, problems };
  return {
    ok: true,
    value: {
      path: jsonPath(base),
      clientId: form.data.clientId,
      entry,
      form: form.data,
      settings: clientSettingsFromForm(form.data),
      secretEnv: confidential ? (entry.client_secret_env ?? null) : null,
      enabled: entry.enabled ?? null,
    },
  };
}

function checkScope(raw: unknown, index: number): Checked<DeclaredScope> {
  const base = ["scopes", index] as const;
  const parsed = scopeEntry.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error.issues, base) };
  const form = createScopeSchema.safeParse({ name: parsed.data.name, ...scopeFormValuesOf(parsed.data) });
  if (!form.success) return { ok: false, problems: problemsOf(form.error.issues, base, SCOPE_FIELD_NAMES) };
  const { name, displayName, description, resources, claims, accessTokenClaims } = form.data;
  return {
    ok: true,
    value: { path: jsonPath(base), name, form: form.data, write: { displayName, description, resources: resourcesFromText(resources), claims, accessTokenClaims } },
  };
}

/** The second and later declarations of the same key. */
function duplicates<T extends { path: string }>(items: readonly T[], keyOf: (item: T) => string, what: string): ConfigProblem[] {
  const first = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const item of items) {
    const key = keyOf(item);
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, item.path);
    else problems.push({ path: item.path, message: `${what} ${key} is declared twice (first at ${earlier}).` });
  }
  return problems;
}

/** The file's text, checked: every problem with its JSON path, or the declared clients and scopes. */
export function parseConfigFile(text: string): Checked<ConfigDocument> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [{ path: "$", message: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const shape = fileShape.safeParse(json);
  if (!shape.success) return { ok: false, problems: problemsOf(shape.error.issues, []) };
  const problems: ConfigProblem[] = [];
  const clients: DeclaredClient[] = [];
  const scopes: DeclaredScope[] = [];
  shape.data.clients.forEach((raw, index) => {
    const checked = checkClient(raw, index);
    if (checked.ok) clients.push(checked.value);
    else problems.push(...checked.problems);
  });
  shape.data.scopes.forEach((raw, index) => {
    const checked = checkScope(raw, index);
    if (checked.ok) scopes.push(checked.value);
    else problems.push(...checked.problems);
  });
  problems.push(...duplicates(clients, (client) => client.clientId, "The client_id"));
  problems.push(...duplicates(scopes, (scope) => scope.name, "The scope"));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { clients, scopes } };
}

/**
 * Each confidential client's secret, read from the variable the file names. A variable that is unset or
 * empty is a problem naming it: found before anything changes.
 */
export function resolveClientSecrets(config: ConfigDocument, env: Readonly<Record<string, string | undefined>>): Checked<Map<string, string>> {
  const secrets = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const client of config.clients) {
    if (client.secretEnv === null) continue;
    const value = env[client.secretEnv];
    const path = `${client.path}.client_secret_env`;
    if (value === undefined || value === "") {
      problems.push({ path, message: `The environment variable ${client.secretEnv} (the secret of ${client.clientId}) is ${value === undefined ? "not set" : "empty"}.` });
    } else if (value.length < MIN_SECRET_LENGTH) {
      problems.push({
        path,
        message: `The secret in ${client.secretEnv} is shorter than ${MIN_SECRET_LENGTH} characters. Secrets are stored as one SHA-256 hash, which is safe for long random values only: use one such as the output of openssl rand -base64 32.`,
      });
    } else {
      secrets.set(client.clientId, value);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: secrets };
}
