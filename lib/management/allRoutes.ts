// Every operation of the management API, in the order the document lists them.
import { auditRoutes } from "./auditApi";
import { clientRoutes } from "./clientsApi";
import { grantRoutes } from "./grantsApi";
import { keyRoutes } from "./keysApi";
import type { ApiRoute } from "./routes";
import { scopeRoutes } from "./scopesApi";
import { userRoutes } from "./usersApi";

export const MANAGEMENT_ROUTES: readonly ApiRoute[] = [...clientRoutes, ...scopeRoutes, ...userRoutes, ...grantRoutes, ...keyRoutes, ...auditRoutes];
