// The portal pages (sign-in, consent) driven over plain HTTP, the way a
// browser without JavaScript uses them: GET the page, read the server action
// form React rendered (hidden fields included), POST it as multipart with an
// Origin header, follow nothing automatically. No test-runner imports here:
// vitest and Playwright suites can both use it.

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function attribute(tag: string, name: string): string | undefined {
  const match = tag.match(new RegExp(`\\s${name}="([^"]*)"`));
  return match ? decodeEntities(match[1]!) : undefined;
}

function hasAttribute(tag: string, name: string): boolean {
  return new RegExp(`\\s${name}(?:=|[\\s/>])`, "i").test(tag);
}

export interface FormInput {
  name: string;
  type: string;
  value: string;
  checked: boolean;
  disabled: boolean;
}

export interface FormButton {
  name: string | undefined;
  value: string;
  /** The button's text content, tags stripped. */
  text: string;
}

export interface ParsedForm {
  method: string | undefined;
  enctype: string | undefined;
  /** The action attribute as rendered ("" for a server action: post to the page's own URL). */
  action: string | undefined;
  /** Every named input with its rendered value (hidden fields, prefilled text). */
  fields: [string, string][];
  /** The same inputs with their type and checked/disabled state. */
  inputs: FormInput[];
  buttons: FormButton[];
  html: string;
}

/** The first <form> on the page that has an input (or button) named `marker`, or a button with that text. */
export function findForm(html: string, marker: string): ParsedForm {
  for (const match of html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)) {
    const form = match[0];
    if (!form.includes(`name="${marker}"`) && !form.includes(`>${marker}<`)) continue;
    const open = form.match(/^<form\b[^>]*>/)![0];
    const fields: [string, string][] = [];
    const inputs: FormInput[] = [];
    for (const input of form.matchAll(/<input\b[^>]*>/g)) {
      const name = attribute(input[0], "name");
      if (!name) continue;
      const value = attribute(input[0], "value") ?? "";
      fields.push([name, value]);
      inputs.push({
        name,
        type: (attribute(input[0], "type") ?? "text").toLowerCase(),
        value,
        checked: hasAttribute(input[0], "checked"),
        disabled: hasAttribute(input[0], "disabled"),
      });
    }
    const buttons: FormButton[] = [];
    for (const button of form.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/g)) {
      const tag = `<button${button[1]}>`;
      buttons.push({ name: attribute(tag, "name"), value: attribute(tag, "value") ?? "", text: decodeEntities(button[2]!.replace(/<[^>]*>/g, "")).trim() });
    }
    return {
      method: attribute(open, "method"),
      enctype: attribute(open, "encType") ?? attribute(open, "enctype"),
      action: attribute(open, "action"),
      fields,
      inputs,
      buttons,
      html: form,
    };
  }
  throw new Error(`no form with ${marker} on the page:\n${html.slice(0, 2000)}`);
}

/** The cookies a response sets, as a Cookie header (cleared cookies left out). */
export function cookieJar(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .filter((c) => !c.endsWith("="))
    .join("; ");
}

/** The URL a form posts to: its action, resolved against the page it was on. */
function formTarget(form: ParsedForm, pageUrl: string): string {
  return form.action ? new URL(form.action, pageUrl).toString() : pageUrl;
}

export interface SignInResult {
  /** The Cookie header for the new session ("" when the sign-in was refused). */
  cookie: string;
  /** The answer to the credential POST (a 303 on success). */
  response: Response;
}

/**
 * Signs in on /login{query} like a browser without JavaScript. `query` is the
 * page's query string with its "?" (e.g. "?interaction=…"); the form carries
 * the interaction / returnTo on as hidden fields.
 */
export async function signInOverHttp(base: string, username: string, password: string, query = ""): Promise<SignInResult> {
  const pageUrl = `${base}/login${query}`;
  const page = await fetch(pageUrl);
  if (page.status !== 200) throw new Error(`GET ${pageUrl} answered ${page.status}`);
  const form = findForm(await page.text(), "username");
  const body = new FormData();
  for (const [name, value] of form.fields) {
    if (name === "username" || name === "password") continue;
    body.append(name, value);
  }
  body.append("username", username);
  body.append("password", password);
  const response = await fetch(formTarget(form, pageUrl), { method: "POST", body, redirect: "manual", headers: { Origin: base } });
  return { cookie: cookieJar(response), response };
}

/** The session cookie of a sign-in that must succeed (the form's 303); anything else stops the suite. */
export async function signedInCookie(base: string, username: string, password: string): Promise<string> {
  const { cookie, response } = await signInOverHttp(base, username, password);
  if (response.status !== 303) throw new Error(`sign-in of ${username}: expected 303, got ${response.status}`);
  return cookie;
}

/**
 * GETs the consent page, ticks the boxes a user would (all of them, or only
 * `scopes` when given), presses Allow or Deny and POSTs the form like a browser
 * without JavaScript. Returns the answer to the POST (a 303 back to the
 * authorization endpoint when the decision was recorded).
 */
export async function submitConsentOverHttp(
  base: string,
  cookie: string,
  consentUrl: string,
  decision: "allow" | "deny",
  scopes?: string[],
): Promise<Response> {
  const pageUrl = new URL(consentUrl, base).toString();
  const page = await fetch(pageUrl, { headers: { cookie }, redirect: "manual" });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`GET ${pageUrl} answered ${page.status}:\n${html.slice(0, 500)}`);
  const form = findForm(html, "decision");
  const button = form.buttons.find((candidate) => candidate.name === "decision" && candidate.value === decision);
  if (!button) throw new Error(`the consent form has no "${decision}" button:\n${form.html.slice(0, 2000)}`);
  const body = new FormData();
  for (const input of form.inputs) {
    if (input.disabled) continue; // a disabled control is never submitted
    if (input.type === "checkbox" || input.type === "radio") {
      const ticked = scopes === undefined ? input.checked : input.name === "scope" ? scopes.includes(input.value) : input.checked;
      if (ticked) body.append(input.name, input.value);
      continue;
    }
    if (input.type === "submit" || input.type === "button" || input.type === "image") continue;
    body.append(input.name, input.value);
  }
  // The pressed button's name and value go last, as browsers send them.
  body.append(button.name!, button.value);
  return fetch(formTarget(form, pageUrl), { method: "POST", body, redirect: "manual", headers: { Origin: base, cookie } });
}

/**
 * Follows an authorization request with the session cookie: authorization
 * endpoint → consent page (Allow, every box ticked) → authorization endpoint,
 * until the redirect leaves the server. Returns that final Location (the
 * client's callback with code or error). `authorizeUrl` may also be a consent
 * page URL the endpoint sent the browser to. Throws when the server answers
 * with a page instead (an error page, or /login: the cookie has no usable
 * session).
 */
export async function completeAuthorization(base: string, cookie: string, authorizeUrl: string, maxHops = 10): Promise<URL> {
  const origin = new URL(base).origin;
  let current = new URL(authorizeUrl, base);
  let consented = false;
  for (let hop = 0; hop < maxHops; hop++) {
    if (current.origin !== origin) return current;
    if (current.pathname === "/consent") {
      if (consented) throw new Error(`the consent page came back after consent was given: ${current}`);
      const decided = await submitConsentOverHttp(base, cookie, current.toString(), "allow");
      const resumed = decided.headers.get("location");
      if (decided.status !== 303 || !resumed) {
        throw new Error(`the consent form answered ${decided.status} (Location ${resumed}):\n${(await decided.text()).slice(0, 1000)}`);
      }
      consented = true;
      current = new URL(resumed, current);
      continue;
    }
    if (!current.pathname.startsWith("/connect/")) {
      throw new Error(`the authorization request stopped at ${current} (is the session cookie valid?)`);
    }
    const response = await fetch(current, { redirect: "manual", headers: cookie ? { cookie } : {} });
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new Error(`${current} answered ${response.status} without a redirect:\n${(await response.text()).slice(0, 1000)}`);
    }
    current = new URL(location, current);
  }
  throw new Error("too many redirects");
}
