// Confirmation messages carried in the query string after a redirect
// (?created=<name>): one short line of text, or nothing.
export function flashText(value: string | string[] | undefined): string | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  return text && text.length <= 200 ? text : null;
}
