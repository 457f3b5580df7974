// How the account and grants pages show times and scopes.

/** A granted scope as shown: its technical name and what people call it. */
export interface ScopeLabel {
  name: string;
  /** The scope's display name, or its name when the scope no longer exists. */
  displayName: string;
}

/** "2025-01-31 14:05 UTC": the server renders in UTC, the same for every viewer. */
export function formatDateTime(value: Date): string {
  return `${value.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function DateTime({ value }: { value: Date }) {
  return <time dateTime={value.toISOString()}>{formatDateTime(value)}</time>;
}

/** The scopes by display name, with the technical name for administrators and the curious. */
export function ScopeList({ scopes }: { scopes: readonly ScopeLabel[] }) {
  if (scopes.length === 0) return <span className="text-slate-600">No scopes</span>;
  return (
    <ul className="flex flex-wrap gap-1">
      {scopes.map((scope) => (
        <li key={scope.name} className="rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-800" title={scope.name}>
          {scope.displayName}
          {scope.displayName !== scope.name ? <span className="sr-only"> ({scope.name})</span> : null}
        </li>
      ))}
    </ul>
  );
}

export const TOKEN_KIND_LABELS = { access_token: "Access token", refresh_token: "Refresh token" } as const;
