// OpenIddict's permission model: a client may use an endpoint, a grant type or
// a scope only when it holds the matching permission string.

export const Permissions = {
  endpoint: {
    authorization: "ept:authorization",
    token: "ept:token",
    logout: "ept:logout",
    introspection: "ept:introspection",
    revocation: "ept:revocation",
  },
  grantType: (grantType: string) => `gt:${grantType}`,
  responseType: (responseType: string) => `rst:${responseType}`,
  scope: (scope: string) => `scp:${scope}`,
} as const;

export const Requirements = {
  pkce: "ft:pkce",
} as const;

export function hasPermission(client: { permissions: string[] }, permission: string): boolean {
  return client.permissions.includes(permission);
}
