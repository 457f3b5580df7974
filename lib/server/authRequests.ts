// Requests for @auth/core's routes (/api/auth/*), made safe for it.
//
// @auth/core checks a `callbackUrl` query parameter and its callback-url
// cookie as if they were server configuration: a value that is not an http(s)
// URL makes every /api/auth/* answer a 500 ("There was a problem with the
// server configuration") and log an error. Gatehouse never uses either (sign-in
// is /login, sign-out returns to a fixed page), so they are dropped before
// @auth/core sees the request: a client's junk cannot produce a server error.
const CALLBACK_URL_COOKIE = /^(__Secure-)?authjs\.callback-url$/;

export function withoutCallbackUrl(request: Request): Request {
  const url = new URL(request.url);
  const cookie = request.headers.get("cookie");
  const keptCookies = cookie
    ?.split(";")
    .filter((pair) => !CALLBACK_URL_COOKIE.test(pair.split("=")[0]!.trim()))
    .join(";");
  if (!url.searchParams.has("callbackUrl") && keptCookies === (cookie ?? undefined)) return request;
  url.searchParams.delete("callbackUrl");
  const headers = new Headers(request.headers);
  if (keptCookies) headers.set("cookie", keptCookies);
  else headers.delete("cookie");
  return new Request(url, {
    method: request.method,
    headers,
    body: request.body,
    // @ts-expect-error -- duplex is required by undici for a streamed body, missing from the DOM types
    duplex: "half",
  });
}
