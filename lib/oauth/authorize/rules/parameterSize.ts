// The size rule for authorization request parameters (decision 0010,
// lib/oauth/http.ts checkParameterSize): the request is carried while the user
// signs in, so what an anonymous request makes the server hold stays small.
import { checkParameterSize, type FormParameters } from "../../http";

/** Refuses the request when any value of any parameter is over its limit (the first one found). */
export function rejectOversizedParameters(params: FormParameters): void {
  for (const [name, value] of params.entries()) {
    const error = checkParameterSize(name, value);
    if (error) throw error;
  }
}
