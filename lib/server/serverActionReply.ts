// Whether a server action's arguments are something React's client could have
// sent for Gatehouse's actions, checked before Next.js decodes them.
//
// React encodes a fetch action's arguments as rows of JSON (the "reply"): row 0
// is the root; strings starting with "$" are references to other rows or tagged
// values. Next.js decodes them with React and answers any decoding failure with
// a 500 (invalid JSON, a reference to a row that is not there, a Map built from
// a string, a BigInt from letters). Gatehouse's actions take plain values and
// FormData only, so the reply may hold JSON rows, plain references to rows that
// exist (also as a promise, $@), FormData ($K), and the inline tags ($undefined, $D dates, $n BigInts,
// $-0, $Infinity, $NaN, $$ escapes); anything else is refused with a 400.

/** Inline values React's reply encoder writes for plain arguments. */
const INLINE = new Set(["$undefined", "$-0", "$Infinity", "$-Infinity", "$NaN"]);

type Rows = (id: number) => string | undefined;

function isAcceptableString(value: string, row: Rows): boolean {
  if (!value.startsWith("$")) return true;
  if (value.startsWith("$$") || INLINE.has(value)) return true;
  if (value.startsWith("$D")) return true; // a Date: an unparsable one decodes to Invalid Date
  if (value.startsWith("$n")) return /^\$n-?\d+$/.test(value); // BigInt() throws on anything else
  if (value.startsWith("$K")) return /^\$K[0-9a-f]+$/.test(value); // FormData: its fields carry a prefix
  // "$<hex>" or a path into it "$<hex>:key:key" (React outlines repeated objects); "$@<hex>" is the
  // promise of a row (how a form rendered without JavaScript carries its bound arguments).
  const reference = /^\$@?([0-9a-f]+)(?::[^:]+)*$/.exec(value);
  return reference !== null && row(parseInt(reference[1]!, 16)) !== undefined;
}

function isAcceptableValue(value: unknown, row: Rows, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof value === "string") return isAcceptableString(value, row);
  if (Array.isArray(value)) return value.every((item) => isAcceptableValue(item, row, depth + 1));
  if (value !== null && typeof value === "object") return Object.values(value).every((item) => isAcceptableValue(item, row, depth + 1));
  return true;
}

/**
 * Every row that exists parses as JSON and holds only acceptable values; the
 * root row exists. A fetch action's root is the array of its arguments (React's
 * encodeReply of the argument list): Next.js applies it as such and answers any
 * other root (`null`, a number) with a 500.
 */
function isAcceptableReply(row: Rows, rowIds: Iterable<number>, rootIsArgumentList: boolean): boolean {
  if (row(0) === undefined) return false;
  for (const id of rowIds) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(row(id)!);
    } catch {
      return false;
    }
    if (id === 0 && rootIsArgumentList && !Array.isArray(parsed)) return false;
    if (!isAcceptableValue(parsed, row)) return false;
  }
  return true;
}

/** A fetch action's body sent as text: a single row, the root. */
export function isAcceptableTextReply(text: string): boolean {
  return isAcceptableReply((id) => (id === 0 ? text : undefined), [0], true);
}

/** The rows of a reply inside form data: fields named `${prefix}<decimal id>` holding text. */
function rowsOf(form: FormData, prefix: string): { row: Rows; ids: number[] } {
  const ids: number[] = [];
  for (const name of form.keys()) {
    if (name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length))) ids.push(Number(name.slice(prefix.length)));
  }
  const row: Rows = (id) => {
    const value = form.get(prefix + String(id));
    return typeof value === "string" ? value : undefined;
  };
  return { row, ids };
}

/**
 * A multipart action body: a fetch action (Next-Action header) is a reply at
 * prefix ""; a form posted without JavaScript may carry bound arguments for
 * each `$ACTION_REF_<n>` field at prefix `$ACTION_<n>:`.
 */
export function isAcceptableFormReply(form: FormData, fetchAction: boolean): boolean {
  if (fetchAction) {
    const { row, ids } = rowsOf(form, "");
    return isAcceptableReply(row, ids, true);
  }
  for (const name of form.keys()) {
    if (!name.startsWith("$ACTION_REF_")) continue;
    const { row, ids } = rowsOf(form, `$ACTION_${name.slice("$ACTION_REF_".length)}:`);
    if (!isAcceptableReply(row, ids, false)) return false;
  }
  return true;
}
