// Scopes defined by OpenID Connect Core §5.4 and §11. They exist on every
// installation; their texts are what the consent screen shows.
export const STANDARD_SCOPES = [
  {
    name: "openid",
    displayName: "Sign you in",
    description: "Confirm your identity to the app with your Gatehouse account.",
    resources: [],
    claims: ["sub"],
  },
  {
    name: "profile",
    displayName: "Your profile",
    description: "See your name and username.",
    resources: [],
    claims: ["name", "preferred_username", "updated_at"],
  },
  {
    name: "email",
    displayName: "Your email address",
    description: "See your email address and whether it is verified.",
    resources: [],
    claims: ["email", "email_verified"],
  },
  {
    name: "offline_access",
    displayName: "Stay connected",
    description: "Keep access while you are not using the app, until you revoke it.",
    resources: [],
    claims: [],
  },
];
