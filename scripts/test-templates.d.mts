// Types for scripts/test-templates.mjs, imported by tests/helpers/template.ts.
export interface Template {
  /** Variables to hand to the test processes (the runner's workers inherit them). */
  env: Record<string, string>;
  remove(): Promise<void>;
}

export const TEMPLATE_SECRET: string;
export const TEMPLATE_DIR_VARIABLE: string;
export const TEMPLATE_DATABASE_VARIABLE: string;
export const MIGRATED_TEMPLATE_DIR_VARIABLE: string;
export const MIGRATED_TEMPLATE_DATABASE_VARIABLE: string;
export const TEST_ADMIN_PASSWORD: string;

export function makePgliteTemplate(projectRoot: string, adminPassword?: string): Promise<Template>;
export function makePostgresTemplate(projectRoot: string, adminPassword?: string): Promise<Template>;
export function removeTemplates(env: Record<string, string | undefined>): Promise<void>;
export function templatesNamed(backend: "pglite" | "postgres", env?: Record<string, string | undefined>): boolean;

/** Node options of every server and CLI process the tests start (--liftoff-only). */
export declare const TEST_NODE_OPTIONS: string[];
