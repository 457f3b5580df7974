// docs/conformance.md against the tests: every enforced row is named in some test title, every id
// a title names is a row, planned rows are not tested yet, and the document's Tests column and
// closing list are exactly what `npm run conformance:doc` would write. Pure file reading.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkRows, DOC_PATH, renderDoc, scanTests, testTitles, type TestTitle } from "../../scripts/conformance-doc.mjs";

const root = path.resolve(__dirname, "../..");
const doc = fs.readFileSync(path.join(root, DOC_PATH), "utf8");
const titles = scanTests(root);
const checks = checkRows(doc, titles);

/** The lines `rendered` has that `text` lacks (the first few), to say what a regeneration would change. */
function linesToChange(text: string, rendered: string): string[] {
  const present = new Set(text.split("\n"));
  return rendered.split("\n").filter((line) => !present.has(line)).slice(0, 8);
}

describe(`${DOC_PATH} and the test titles`, () => {
  it("is what npm run conformance:doc writes (Tests column and closing list)", () => {
    const rendered = renderDoc(doc, titles);
    expect(linesToChange(doc, rendered), "run npm run conformance:doc").toEqual([]);
    expect(rendered === doc, "run npm run conformance:doc").toBe(true);
  });

  it("has well-formed rows: five cells, a rule and a spec section, a status of enforced or planned #<issue>, no id twice", () => {
    expect(checks.format).toEqual([]);
  });

  it("every enforced row is named in the title of a test that checks it", () => {
    expect(checks.untested).toEqual([]);
  });

  it("every row id a test title names is a row of the checklist", () => {
    expect(checks.unknown).toEqual([]);
  });

  it("no planned row is tested yet (when its issue lands, the row becomes enforced)", () => {
    expect(checks.alreadyTested).toEqual([]);
  });

  it("finds the titles in every kind of test file", () => {
    const files = new Set(titles.map((title) => title.file.split("/")[1]));
    expect([...files].sort()).toEqual(expect.arrayContaining(["e2e", "integration", "interop", "unit"]));
  });
});

function titlesOf(source: string): string[] {
  return testTitles({ "fixture.test.ts": source }).map((title: TestTitle) => title.title);
}

describe("reading row ids out of test titles", () => {
  it("reads it, test and describe titles, Playwright's test.describe too, and not comments or assertion messages", () => {
    const found = titlesOf(`
      // AZ-01 in a comment is not a citation
      describe("PK-05 block", () => {
        it("AZ-02 one", () => expect(1, "AZ-03 in a message").toBe(1));
        it.skipIf(sampleFlag)("AZ-04 skipped", () => {});
      });
      test.describe("LO-01 browser", () => { test("LO-02 page", async () => {}); });
      test.beforeAll(async () => {});
      const note = "AZ-05 not a title";
    `);
    expect(found).toEqual(["PK-05 block", "AZ-02 one", "AZ-04 skipped", "LO-01 browser", "LO-02 page"]);
  });

  it("expands template titles whose ids come from a for…of loop", () => {
    const found = titlesOf(`
      for (const [id, what] of [["PK-05", "plain"], ["PK-07", "a short challenge"]] as const) {
        it(\`\${id}: \${what} is refused\`, () => {});
      }
    `);
    expect(found).toEqual(["PK-05: plain is refused", "PK-07: a short challenge is refused"]);
  });

  it("expands it.each tables: %s from array rows, $name from object rows", () => {
    const found = titlesOf(`
      it.each([["AZ-04: suffix", 1], ["AZ-05: slash", 2]])("%s gives the error page (BCP-02)", () => {});
      const cases = [{ name: "TK-08 no grant_type", reason: "invalid_request" }];
      it.each(cases)("$name → $reason", () => {});
      describe.runIf(sampleFlag === "AZ-06")("plain title", () => {});
    `);
    expect(found).toEqual([
      "AZ-04: suffix gives the error page (BCP-02)",
      "AZ-05: slash gives the error page (BCP-02)",
      "TK-08 no grant_type → invalid_request",
      "plain title",
    ]);
  });

  it("follows a table of cases into test(c.title) and test.each(cases.map(…))", () => {
    const found = titlesOf(`
      const cases = [
        { title: "CA-02: wrong secret", status: 401 },
        ...(["a tab", "NUL"] as const).map((what) => ({ title: \`CC-03: a scope containing \${what}\`, status: 400 })),
      ];
      for (const c of cases) test(c.title, () => {});
      test.each(cases.map((c) => [c.title, c] as const))("%s", () => {});
    `);
    const expected = ["CA-02: wrong secret", "CC-03: a scope containing a tab", "CC-03: a scope containing NUL"];
    expect(found).toEqual([...expected, ...expected]);
  });

  it("follows a label passed to a function that declares a describe block", () => {
    const found = titlesOf(`
      function raceSuite(label: string) { describe(label, () => {}); }
      raceSuite("RT-04 one instance");
      raceSuite("RT-04 two instances");
    `);
    expect(found).toEqual(["RT-04 one instance", "RT-04 two instances"]);
  });
});

describe("the checks", () => {
  const fixtureDoc = [
    "# Fixture",
    "",
    "| ID | Rule | Spec and source | Status | Tests |",
    "|---|---|---|---|---|",
    "| AZ-01 | Tested and enforced. | RFC 6749 §4.1 | enforced | none |",
    "| AZ-02 | Enforced, nobody tests it. | RFC 6749 §4.1 | enforced | none |",
    "| PAR-01 | Planned, but a test already cites it. | RFC 9126 §2 | planned #14 | none |",
    "| PAR-02 | Planned. | RFC 9126 §4 | planned #14 | none |",
    "| AZ-03 | A bad status. | RFC 6749 §4.1 | done | none |",
    "",
  ].join("\n");
  const fixtureTitles: TestTitle[] = [
    { file: "tests/unit/a.test.ts", title: "AZ-01 one" },
    { file: "tests/unit/b.test.ts", title: "AZ-01 / PAR-01 two" },
    { file: "tests/unit/b.test.ts", title: "ZZ-99 an unknown row" },
  ];

  it("report an untested enforced row, a tested planned row, an unknown id and a bad status, each once", () => {
    const found = checkRows(fixtureDoc, fixtureTitles);
    expect(found.untested).toEqual([expect.stringContaining("AZ-02 is enforced")]);
    expect(found.alreadyTested).toEqual([expect.stringContaining("PAR-01 is planned #14")]);
    expect(found.unknown).toEqual([expect.stringContaining("cites ZZ-99")]);
    expect(found.format).toEqual([expect.stringContaining('row AZ-03 has status "done"')]);
  });

  it("see a cited id disappear from a title", () => {
    const without = fixtureTitles.map((entry) => ({ ...entry, title: entry.title.replace("AZ-01", "no id") }));
    expect(checkRows(fixtureDoc, without).untested).toEqual([expect.stringContaining("AZ-01"), expect.stringContaining("AZ-02")]);
  });

  it("render the Tests cells and the list of titles per row", () => {
    const rendered = renderDoc(fixtureDoc, fixtureTitles);
    expect(rendered).toContain("| AZ-01 | Tested and enforced. | RFC 6749 §4.1 | enforced | `tests/unit/a.test.ts`, `tests/unit/b.test.ts` |");
    expect(rendered).toContain("| AZ-02 | Enforced, nobody tests it. | RFC 6749 §4.1 | enforced | none |");
    expect(rendered).toContain("### AZ-01\n\n- `tests/unit/a.test.ts`\n  - AZ-01 one\n- `tests/unit/b.test.ts`\n  - AZ-01 / PAR-01 two\n");
    expect(renderDoc(rendered, fixtureTitles)).toBe(rendered);
  });
});
