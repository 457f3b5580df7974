// Where a form post may end: browsers apply CSP form-action to the redirects
// that follow a form submission, so a page whose form ends at a client's
// redirect URI must list it. Used by the portal pages' policy (lib/server) and
// the logout confirmation (lib/oauth/logout.ts).

/**
 * The form-action source expression that lets a form post end in a redirect
 * to `redirectUri`, or null when it is not a URL. http(s): its origin (scheme,
 * host, port). A CSP host-source cannot name an IPv6 literal (CSP3 §2.3.1),
 * so a loopback `http://[::1]:port` client gets the scheme-source `http:`.
 * A private-use scheme (RFC 8252 §7.1, `com.example.app:/cb`) gets its scheme.
 */
export function formActionSourceFor(redirectUri: string): string | null {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return null;
  }
  if (url.protocol === "http:" || url.protocol === "https:") {
    return url.hostname.startsWith("[") ? url.protocol : url.origin;
  }
  // The WHATWG parser leaves only [a-z0-9+.-] in a scheme: safe inside a header.
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : null;
}
