// Runs in the browser before the app's own code (Next.js instrumentation-client).
import { z } from "zod";

// zod 4 probes for `new Function` to compile faster validators; the page policy forbids
// 'unsafe-eval', so that probe would be refused and reported as a CSP violation on every page
// with a form. Validation is the same without it.
z.config({ jitless: true });
