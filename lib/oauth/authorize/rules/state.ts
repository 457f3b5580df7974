// state (RFC 6749 §4.1.1, §4.1.2.1): carried back unchanged with the code or
// the error. One that breaks the size rule (decision 0010) is refused, and not
// carried back either; nor is a repeated one (RFC 6749 §3.1).
import { checkParameterSize, type FormParameters } from "../../http";

/** The state to return with the answer, or null. */
export function returnableState(params: FormParameters): string | null {
  const state = params.get("state");
  return state !== undefined && checkParameterSize("state", state) === null ? state : null;
}
