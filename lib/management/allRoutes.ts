// Every operation of the management API, in the order the document lists them.
import { auditRoutes } from "./auditApi";
import { clientRoutes } from "./clientsApi";
import type { ApiRoute } from "./routes";

export const MANAGEMENT_ROUTES: readonly ApiRoute[] = [...clientRoutes, ...auditRoutes];
