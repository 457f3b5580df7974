// The audit log's filters: a plain GET form (works without JavaScript, and
// every filtered view is a link an operator can share).
import Link from "next/link";
import { buttonClass } from "@/components/ui/Button";
import { SelectField, TextField } from "@/components/ui/Field";
import { KNOWN_AUDIT_KINDS, SUGGESTED_KIND_PREFIXES, type AuditFilterField } from "@/lib/forms/auditFilter";

export const AUDIT_PATH = "/dashboard/audit";

export function AuditFilterForm({
  values,
  errors,
}: {
  values: Partial<Record<AuditFilterField, string>>;
  errors: Partial<Record<AuditFilterField, string>>;
}) {
  const kinds = KNOWN_AUDIT_KINDS.includes(values.kind ?? "") || !values.kind ? KNOWN_AUDIT_KINDS : [values.kind, ...KNOWN_AUDIT_KINDS];
  return (
    <form method="get" action={AUDIT_PATH} role="search" aria-label="Filter the audit log" className="space-y-4 rounded-lg border border-slate-200 bg-white p-4">
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <TextField id="filter-user" name="user" label="User" hint="Username or user id: events about this user." defaultValue={values.user} error={errors.user} autoComplete="off" />
        <TextField id="filter-client" name="client" label="Client" hint="A client_id, e.g. postman." defaultValue={values.client} error={errors.client} autoComplete="off" />
        <SelectField
          id="filter-kind"
          name="kind"
          label="Kind"
          defaultValue={values.kind ?? ""}
          error={errors.kind}
          options={[{ value: "", label: "Any kind" }, ...kinds.map((kind) => ({ value: kind, label: kind }))]}
        />
        <TextField
          id="filter-prefix"
          name="prefix"
          label="Kind prefix"
          hint={`Every kind that starts with it, e.g. “${SUGGESTED_KIND_PREFIXES[0]}” for every admin change.`}
          defaultValue={values.prefix}
          error={errors.prefix}
          list="kind-prefixes"
          autoComplete="off"
        />
        <datalist id="kind-prefixes">
          {SUGGESTED_KIND_PREFIXES.map((prefix) => (
            <option key={prefix} value={prefix} />
          ))}
        </datalist>
        <TextField id="filter-from" name="from" type="datetime-local" step={1} label="From (UTC)" hint="Inclusive." defaultValue={values.from} error={errors.from} />
        <TextField id="filter-to" name="to" type="datetime-local" step={1} label="To (UTC)" hint="Exclusive." defaultValue={values.to} error={errors.to} />
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" className={buttonClass("primary")}>
          Apply filters
        </button>
        <Link href={AUDIT_PATH} className={buttonClass("link")}>
          Clear filters
        </Link>
      </div>
    </form>
  );
}
