// Types for scripts/conformance-doc.mjs, imported by tests/unit/conformance.test.ts.
export interface TestTitle {
  /** Repository-relative path, e.g. tests/unit/pkce.test.ts. */
  file: string;
  /** The title as the runner prints it (tables and templates expanded where they can be followed). */
  title: string;
}

export interface RowChecks {
  /** Table lines that are not ID | Rule | Spec | Status | Tests, unknown statuses, repeated ids. */
  format: string[];
  /** Enforced rows no test title cites. */
  untested: string[];
  /** Planned rows a test title already cites. */
  alreadyTested: string[];
  /** Ids cited by a test title that are not rows. */
  unknown: string[];
}

export const DOC_PATH: string;
export const ROW_ID: RegExp;
export const APPENDIX_HEADING: string;
export function testFiles(root: string): string[];
export function testTitles(sources: Record<string, string>): TestTitle[];
export function scanTests(root: string): TestTitle[];
export function citationsByRow(titles: TestTitle[]): Map<string, TestTitle[]>;
export function parseDoc(text: string): { rows: Array<{ id: string; status: string; line: number }>; problems: string[] };
export function checkRows(text: string, titles: TestTitle[]): RowChecks;
export function renderDoc(text: string, titles: TestTitle[]): string;
