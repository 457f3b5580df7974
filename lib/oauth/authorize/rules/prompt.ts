// prompt (OIDC Core §3.1.2.1): space-separated values from none, login,
// consent and select_account; none may not be combined with another.
import { OAuthError } from "../../errors";
import type { FormParameters } from "../../http";
import type { ValidatedAuthorizationRequest } from "../../ports";

type Prompt = ValidatedAuthorizationRequest["prompt"];

const PROMPT_VALUES: ReadonlySet<string> = new Set<Prompt[number]>(["none", "login", "consent", "select_account"]);

export function readPrompt(params: FormParameters): Prompt {
  const prompt = (params.get("prompt") ?? "").split(" ").filter(Boolean);
  for (const value of prompt) if (!PROMPT_VALUES.has(value)) throw new OAuthError("invalid_request", `Unsupported prompt value '${value}'.`);
  if (prompt.includes("none") && prompt.length > 1) throw new OAuthError("invalid_request", "prompt=none cannot be combined with other prompt values.");
  return prompt as Prompt;
}
