// The integration and interop projects' global setup: the template data directory for the embedded PGlite.
import { globalSetupFor } from "./globalSetup";

export const { setup, teardown } = globalSetupFor("pglite");
