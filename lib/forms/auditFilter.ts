// The audit log page's filters (a GET form): what the query string may hold,
// checked on the server before any SQL runs. Framework-free, like every
// schema under lib/forms.
import { z } from "zod";
import { AuditKinds } from "../oauth/audit";

/** Rows per page of the audit log. */
export const AUDIT_PAGE_SIZE = 50;

/** Kinds the select offers (admin.* and account.* kinds are free-form: the prefix field finds them). */
export const KNOWN_AUDIT_KINDS: readonly string[] = Object.values(AuditKinds);

/** Prefixes worth suggesting next to the prefix field. */
export const SUGGESTED_KIND_PREFIXES = ["admin.", "account.", "token.", "signin.", "consent."] as const;

const KIND = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;
const KIND_PREFIX = /^[a-z][a-z0-9_.]*$/;
/** What an <input type="datetime-local"> sends: minutes, optionally seconds and milliseconds. */
const DATETIME_LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;
/** Printable ASCII (RFC 6749 VSCHAR): nothing else can be a client_id. */
const CLIENT_ID = /^[\x20-\x7E]+$/;

/** A blank field means "no filter". */
const blankToUndefined = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

const optionalText = (schema: z.ZodString) => z.preprocess(blankToUndefined, schema.optional());

/** A datetime-local value read as UTC (the page says so). */
const utcDateTime = (label: string) =>
  optionalText(
    z
      .string()
      .trim()
      .regex(DATETIME_LOCAL, `${label}: use a date and time such as 2026-11-26T14:30 (UTC).`),
  ).transform((value, context) => {
    if (value === undefined) return undefined;
    const date = new Date(`${value}Z`);
    const year = date.getUTCFullYear();
    // Date silently rolls over (February 31st, 24:00, 14:30:75); any rollover changes the
    // date, hour or minute, so comparing those catches it.
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 16) !== value.slice(0, 16) || year < 1970 || year > 9999) {
      context.addIssue({ code: "custom", message: `${label}: ${value} is not a date and time that exists.` });
      return z.NEVER;
    }
    return date;
  });

export const auditFilterSchema = z
  .object({
    user: optionalText(z.string().trim().max(200, "User: at most 200 characters.")),
    client: optionalText(
      z.string().trim().max(200, "Client: at most 200 characters.").regex(CLIENT_ID, "Client: a client_id is printable ASCII only."),
    ),
    kind: optionalText(
      z.string().trim().max(100, "Kind: at most 100 characters.").regex(KIND, "Kind: lowercase words separated by dots, such as token.issued."),
    ),
    prefix: optionalText(
      z
        .string()
        .trim()
        .max(100, "Kind prefix: at most 100 characters.")
        .regex(KIND_PREFIX, "Kind prefix: lowercase letters, digits, dots and underscores, such as admin."),
    ),
    from: utcDateTime("From"),
    to: utcDateTime("To"),
    /** The moment page 1 was shown: later pages stay on the same rows while new events arrive. */
    asOf: optionalText(z.string().trim().max(40)).transform((value, context) => {
      if (value === undefined) return undefined;
      const date = new Date(value);
      if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(value) || Number.isNaN(date.getTime())) {
        context.addIssue({ code: "custom", message: "The paging link is damaged; start again from the first page." });
        return z.NEVER;
      }
      return date;
    }),
  })
  .refine((filter) => !(filter.from && filter.to) || filter.from < filter.to, {
    path: ["to"],
    message: "To: must be later than From.",
  });

export type AuditFilterInput = z.input<typeof auditFilterSchema>;
export type AuditFilter = z.output<typeof auditFilterSchema>;
export type AuditFilterField = keyof AuditFilterInput;

export const AUDIT_FILTER_FIELDS: readonly AuditFilterField[] = ["user", "client", "kind", "prefix", "from", "to", "asOf"];

/** The filter fields of a query string, one value each (a repeated parameter counts once: the first). */
export function auditFilterQuery(params: Record<string, string | string[] | undefined>): Record<AuditFilterField, string | undefined> {
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  return Object.fromEntries(AUDIT_FILTER_FIELDS.map((field) => [field, first(params[field])])) as Record<AuditFilterField, string | undefined>;
}

export type AuditFilterResult =
  | { ok: true; filter: AuditFilter }
  | { ok: false; fieldErrors: Partial<Record<AuditFilterField, string>> };

export function parseAuditFilter(query: Record<AuditFilterField, string | undefined>): AuditFilterResult {
  const parsed = auditFilterSchema.safeParse(query);
  if (parsed.success) return { ok: true, filter: parsed.data };
  const fieldErrors: Partial<Record<AuditFilterField, string>> = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0] as AuditFilterField | undefined;
    if (field && !fieldErrors[field]) fieldErrors[field] = issue.message;
  }
  return { ok: false, fieldErrors };
}

/** A user filter that is an id rather than a username. */
export function looksLikeUserId(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
