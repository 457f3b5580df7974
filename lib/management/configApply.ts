// Applies a config plan (./configPlan.ts) through the management operations the
// dashboard and the API run (./clientOperations.ts, ./scopeOperations.ts), so the
// rules, the validation and the audit entries are theirs; the actor is
// "config:<file name>". docs/decisions/0021-config-as-code.md.
import { findClientByApplicationId, listClients } from "../db/clientAdmin";
import type { Database } from "../db/client";
import { listScopesForAdmin } from "../db/scopeAdmin";
import type { ActionResult } from "../forms/actionResult";
import type { AuditEventInput, ClientRecord } from "../oauth/ports";
import {
  createClientOperation,
  deleteClientOperation,
  rotateClientSecretOperation,
  setClientEnabledOperation,
  updateClientOperation,
} from "./clientOperations";
import { CLIENT_FIELD_NAMES } from "./clientsApi";
import type { ConfigChange, ConfigPlan, StoredState } from "./configPlan";
import { describeChange } from "./configPlan";
import type { OperationContext } from "./context";
import { createScopeOperation, deleteScopeOperation, updateScopeOperation } from "./scopeOperations";
import { SCOPE_FIELD_NAMES } from "./scopesApi";

/** The audit actor of a config file's changes (never a uuid, so never taken for a user id; like "client:<id>"). */
export function configActor(fileName: string): string {
  return `config:${fileName}`;
}

/** The operation context of a config apply: no request, so no address; audited straight into the store. */
export function configOperationContext(db: Database, actorId: string, record: (events: AuditEventInput[]) => Promise<void>): OperationContext {
  return {
    db,
    actorId,
    audit: (event) => record([{ ...event, actor: actorId, ip: null }]),
    rotateSigningKeys: () => Promise.reject(new Error("A config file does not rotate signing keys.")),
  };
}

/** Every client (full records) and every scope in the store. */
export async function readStoredState(db: Database): Promise<StoredState> {
  const page = await listClients(db, { pageSize: 1_000_000 });
  const clients = (await Promise.all(page.clients.map((summary) => findClientByApplicationId(db, summary.id)))).filter(
    (client): client is ClientRecord => client !== null,
  );
  return { clients, scopes: await listScopesForAdmin(db) };
}

export interface AppliedChange {
  change: ConfigChange;
  /** Null when done; else why the operation refused it (its message and field messages). */
  refused: string | null;
}

/** The operation's refusal as one line: its message, then each field's messages under the file's names. */
function refusalOf(result: ActionResult<unknown>, names: Readonly<Record<string, string>> = {}): string | null {
  if (result.ok) return null;
  const fields = Object.entries(result.fieldErrors ?? {}).flatMap(([field, messages]) => messages.map((message) => `${names[field] ?? field}: ${message}`));
  return [result.message, ...fields].join(" ");
}

async function applyChange(context: OperationContext, change: ConfigChange, secrets: ReadonlyMap<string, string>): Promise<string | null> {
  switch (`${change.action} ${change.kind}`) {
    case "create scope": {
      const { declared } = change as Extract<ConfigChange, { action: "create"; kind: "scope" }>;
      return refusalOf(await createScopeOperation(context, declared.form), SCOPE_FIELD_NAMES);
    }
    case "update scope": {
      const { declared, stored } = change as Extract<ConfigChange, { action: "update"; kind: "scope" }>;
      const { name: _name, ...fields } = declared.form;
      return refusalOf(await updateScopeOperation(context, { id: stored.id, ...fields }), SCOPE_FIELD_NAMES);
    }
    case "delete scope": {
      const { stored } = change as Extract<ConfigChange, { action: "delete"; kind: "scope" }>;
      return refusalOf(await deleteScopeOperation(context, { id: stored.id }));
    }
    case "create client": {
      const { declared } = change as Extract<ConfigChange, { action: "create"; kind: "client" }>;
      const created = await createClientOperation(context, declared.form, { secret: secrets.get(declared.clientId) });
      if (!created.ok || declared.enabled !== false) return refusalOf(created, CLIENT_FIELD_NAMES);
      return refusalOf(await setClientEnabledOperation(context, { id: created.data.id, enabled: false }));
    }
    case "update client": {
      const { declared, stored, fields } = change as Extract<ConfigChange, { action: "update"; kind: "client" }>;
      const settingsChanged = fields.some((field) => field !== "enabled" && field !== "client_secret");
      if (settingsChanged) {
        const { clientId: _fixed, ...settings } = declared.form;
        const refused = refusalOf(await updateClientOperation(context, { id: stored.id, ...settings }), CLIENT_FIELD_NAMES);
        if (refused) return refused;
      }
      // After the update: one that made the client confidential has given it a generated secret, replaced here.
      const secret = secrets.get(declared.clientId);
      if (secret !== undefined && fields.includes("client_secret")) {
        const refused = refusalOf(await rotateClientSecretOperation(context, { id: stored.id, secret }));
        if (refused) return refused;
      }
      if (declared.enabled !== null && declared.enabled !== stored.enabled) {
        return refusalOf(await setClientEnabledOperation(context, { id: stored.id, enabled: declared.enabled }));
      }
      return null;
    }
    case "delete client": {
      const { stored } = change as Extract<ConfigChange, { action: "delete"; kind: "client" }>;
      return refusalOf(await deleteClientOperation(context, { id: stored.id }));
    }
    default:
      throw new Error(`unknown change ${describeChange(change)}`);
  }
}

/**
 * Runs the plan's changes in order. A refusal (a change made meanwhile, a scope still in use) does not
 * stop the others: each is reported, and the next apply plans from the state as it then is.
 */
export async function applyPlan(context: OperationContext, plan: ConfigPlan, secrets: ReadonlyMap<string, string>): Promise<AppliedChange[]> {
  const applied: AppliedChange[] = [];
  for (const change of plan.changes) applied.push({ change, refused: await applyChange(context, change, secrets) });
  return applied;
}
