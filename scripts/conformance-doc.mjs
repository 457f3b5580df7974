// `npm run conformance:doc`: rewrites the generated parts of docs/conformance.md (each row's
// Tests cell and the closing "Where each row is tested" list) from the test titles that cite
// row ids, and prints what is wrong (a row nobody tests, an unknown id, a planned row already
// tested). `--check` only compares and exits 1 on a difference. tests/unit/conformance.test.ts
// runs the same functions, so the committed document cannot drift from the tests.
//
// Titles are read from the syntax tree, not by grepping: a row id may reach a title through a
// template string, an `it.each` table (`%s`, `$name`), a table of cases mapped to `test(c.title)`,
// or a `for … of` loop, and an id in a comment or an assertion message is not a test title.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

export const DOC_PATH = "docs/conformance.md";
export const ROW_ID = /\b[A-Z]{2,5}-\d{2}\b/g;
const TEST_FUNCTIONS = new Set(["it", "test", "describe"]);
// Members of `test` / `describe` that take no title.
const NOT_TITLED = new Set(["beforeAll", "afterAll", "beforeEach", "afterEach", "use", "configure", "extend", "setTimeout", "slow", "info", "expect"]);
// How many expansions of one title are followed before giving up on listing them one by one.
const EXPANSION_LIMIT = 500;

/** Every test source file under tests/ (unit, integration, interop, faults, e2e specs, helpers). */
export function testFiles(root) {
  const found = [];
  const visit = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) found.push(path.relative(root, full).split(path.sep).join("/"));
    }
  };
  visit(path.join(root, "tests"));
  return found.sort();
}

/**
 * The test titles (describe, it, test, including their Playwright forms) of some sources, as
 * Vitest would print them: [{ file, title }]. `sources` maps a file name to its text.
 */
export function testTitles(sources) {
  const titles = [];
  for (const [name, text] of Object.entries(sources)) {
    const sourceFile = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
    const evaluate = new Evaluator(sourceFile);
    const visit = (node) => {
      if (ts.isCallExpression(node)) {
        const call = testCall(node);
        if (call) for (const title of evaluate.titles(call)) titles.push({ file: name, title });
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  }
  return titles;
}

/** The titles of every test file of a checkout. */
export function scanTests(root) {
  const sources = {};
  for (const file of testFiles(root)) {
    const text = fs.readFileSync(path.join(root, file), "utf8");
    // A file that names no row id anywhere cannot cite one (imported names are not followed).
    if (new RegExp(ROW_ID.source).test(text)) sources[file] = text;
  }
  return testTitles(sources);
}

/** `it(title, …)`, `test.describe(title, …)`, `it.each(table)(title, …)`, `describe.runIf(c)(title, …)`; else null. */
function testCall(node) {
  let callee = node.expression;
  let table = null;
  if (ts.isCallExpression(callee)) {
    const inner = callee.expression;
    if (ts.isPropertyAccessExpression(inner) && (inner.name.text === "each" || inner.name.text === "for")) table = callee.arguments[0] ?? null;
    callee = inner;
  }
  const names = [];
  while (ts.isPropertyAccessExpression(callee)) {
    names.unshift(callee.name.text);
    callee = callee.expression;
  }
  if (!ts.isIdentifier(callee) || !TEST_FUNCTIONS.has(callee.text)) return null;
  if (names.some((name) => NOT_TITLED.has(name)) || node.arguments.length === 0) return null;
  // `it.each(table)`, `describe.runIf(condition)`: what they return is the test function.
  if (!ts.isCallExpression(node.expression) && ["each", "runIf", "skipIf", "for"].includes(names.at(-1))) return null;
  return { title: node.arguments[0], table };
}

/**
 * Works out which strings an expression can be, following names declared in the same file.
 * Each result carries the choices it made (which row of a loop, a `map` or an `each` table, which
 * call of a function), so that two names bound by the same row stay together: `${id}: ${what}`
 * over [["PK-05", "plain"], ["PK-07", "short"]] gives two titles, not four.
 */
class Evaluator {
  constructor(sourceFile) {
    this.sourceFile = sourceFile;
    this.resolving = new Set();
  }

  titles({ title, table }) {
    const titles = [];
    for (const pattern of this.strings(title, NO_CHOICES)) {
      if (!table || !hasPlaceholder(pattern.text)) {
        titles.push(pattern.text);
        continue;
      }
      for (const row of this.elements(table, pattern.choices)) {
        for (const candidate of this.candidates(row.node, row.choices)) titles.push(...this.expand(pattern.text, candidate));
      }
    }
    return limited(titles);
  }

  /** Vitest's `each` title formatting: %s/%d/%i/%f/%j/%o/%O take the row's next value, $name a property. */
  expand(pattern, row) {
    const unwrapped = unwrap(row.node);
    const values = ts.isArrayLiteralExpression(unwrapped) ? unwrapped.elements : [row.node];
    let results = [{ text: "", choices: row.choices }];
    let next = 0;
    let last = 0;
    for (const match of pattern.matchAll(/%[sdifjoO%#]|\$([A-Za-z_][\w.]*)/g)) {
      const literal = pattern.slice(last, match.index);
      last = match.index + match[0].length;
      const value = match[0] === "%%" || match[0] === "%#" ? undefined : match[1] ? this.property(row.node, match[1].split(".")[0]) : values[next++];
      results = limited(
        results.flatMap((prefix) => {
          const options = match[0] === "%%" ? [{ text: "%", choices: prefix.choices }] : value ? this.strings(value, prefix.choices, match[0]) : [{ text: match[0], choices: prefix.choices }];
          return options.map((option) => ({ text: prefix.text + literal + option.text, choices: option.choices }));
        }),
      );
    }
    return results.map((result) => result.text + pattern.slice(last));
  }

  /** The strings an expression can be, each with its choices; what cannot be followed keeps its source text. */
  strings(node, choices, fallback) {
    const source = fallback ?? `\${${node.getText(this.sourceFile)}}`;
    const found = this.candidates(node, choices).flatMap(({ node: candidate, choices: made }) => {
      if (ts.isStringLiteral(candidate) || ts.isNoSubstitutionTemplateLiteral(candidate) || ts.isNumericLiteral(candidate)) {
        return [{ text: candidate.text, choices: made }];
      }
      if (ts.isTemplateExpression(candidate)) {
        let results = [{ text: candidate.head.text, choices: made }];
        for (const span of candidate.templateSpans) {
          results = limited(
            results.flatMap((prefix) =>
              this.strings(span.expression, prefix.choices).map((option) => ({ text: prefix.text + option.text + span.literal.text, choices: option.choices })),
            ),
          );
        }
        return results;
      }
      if (ts.isBinaryExpression(candidate) && candidate.operatorToken.kind === ts.SyntaxKind.PlusToken) {
        return limited(
          this.strings(candidate.left, made).flatMap((left) =>
            this.strings(candidate.right, left.choices).map((right) => ({ text: left.text + right.text, choices: right.choices })),
          ),
        );
      }
      if (ts.isConditionalExpression(candidate)) return [...this.strings(candidate.whenTrue, made), ...this.strings(candidate.whenFalse, made)];
      return [{ text: source, choices: made }];
    });
    return found.length > 0 ? found : [{ text: source, choices }];
  }

  /** The expressions a name, a property or an array element can stand for: [{ node, choices }]. */
  candidates(node, choices) {
    node = unwrap(node);
    if (ts.isIdentifier(node)) return this.declared(node, choices);
    if (ts.isPropertyAccessExpression(node)) {
      return this.candidates(node.expression, choices).flatMap((object) => this.candidatesOf(this.property(object.node, node.name.text), object.choices));
    }
    if (ts.isElementAccessExpression(node) && ts.isNumericLiteral(node.argumentExpression)) {
      const index = Number(node.argumentExpression.text);
      return this.candidates(node.expression, choices).flatMap((array) => this.candidatesOf(this.element(array.node, index), array.choices));
    }
    return [{ node, choices }];
  }

  candidatesOf(node, choices) {
    return node ? this.candidates(node, choices) : [];
  }

  /** What a name declared in this file (a const, a destructured loop variable, a parameter) holds. */
  declared(identifier, choices) {
    const declaration = declarationOf(identifier);
    if (!declaration || this.resolving.has(declaration)) return [];
    this.resolving.add(declaration);
    try {
      return this.bound(declaration, choices);
    } finally {
      this.resolving.delete(declaration);
    }
  }

  /** The values a declaration (or a part of a destructuring pattern) binds. */
  bound(declaration, choices) {
    if (ts.isBindingElement(declaration)) {
      const pattern = declaration.parent;
      const key = ts.isArrayBindingPattern(pattern) ? pattern.elements.indexOf(declaration) : (declaration.propertyName ?? declaration.name).getText(this.sourceFile);
      return this.bound(pattern.parent, choices).flatMap((whole) =>
        this.candidatesOf(typeof key === "number" ? this.element(whole.node, key) : this.property(whole.node, key), whole.choices),
      );
    }
    if (ts.isVariableDeclaration(declaration)) {
      if (declaration.initializer) return this.candidates(declaration.initializer, choices);
      const statement = declaration.parent?.parent;
      if (statement && ts.isForOfStatement(statement)) return this.choose(statement, choices, () => this.elements(statement.expression, choices));
      return [];
    }
    if (ts.isParameter(declaration)) return this.arguments(declaration, choices);
    return [];
  }

  /**
   * One row of `rows` per result, remembered under `site` (a loop, a callback, a function), so
   * that every name bound at that site takes its value from the same row.
   */
  choose(site, choices, rows) {
    if (choices.has(site)) return [{ node: choices.get(site), choices }];
    return rows().map((row) => ({ node: row.node, choices: new Map(row.choices).set(site, row.node) }));
  }

  /** A parameter: of a callback given to `rows.map`/`forEach`/…, of an `each` test body, or of a function called in this file. */
  arguments(parameter, choices) {
    const fn = parameter.parent;
    const index = fn.parameters.indexOf(parameter);
    const call = fn.parent;
    if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && call && ts.isCallExpression(call)) {
      const callee = call.expression;
      if (ts.isPropertyAccessExpression(callee) && index === 0 && ["map", "flatMap", "forEach", "filter", "some", "every", "find"].includes(callee.name.text)) {
        return this.choose(fn, choices, () => this.elements(callee.expression, choices));
      }
      if (ts.isCallExpression(callee) && ts.isPropertyAccessExpression(callee.expression) && callee.expression.name.text === "each" && callee.arguments[0]) {
        const table = callee.arguments[0];
        return this.choose(fn, choices, () => this.elements(table, choices)).flatMap((row) => {
          const unwrapped = unwrap(row.node);
          if (ts.isArrayLiteralExpression(unwrapped)) return this.candidatesOf(unwrapped.elements[index], row.choices);
          return index === 0 ? [row] : [];
        });
      }
      return [];
    }
    if (ts.isFunctionDeclaration(fn) && fn.name) {
      const calls = [];
      const visit = (node) => {
        if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === fn.name.text) calls.push(node);
        ts.forEachChild(node, visit);
      };
      visit(this.sourceFile);
      return this.choose(fn, choices, () => calls.map((node) => ({ node, choices }))).flatMap((chosen) =>
        this.candidatesOf(chosen.node.arguments[index], chosen.choices),
      );
    }
    return [];
  }

  /** The elements an array expression can hold (the rows of a table): [{ node, choices }]. */
  elements(node, choices) {
    return this.candidates(node, choices).flatMap(({ node: array, choices: made }) => {
      array = unwrap(array);
      if (ts.isArrayLiteralExpression(array)) {
        return array.elements.flatMap((element) => (ts.isSpreadElement(element) ? this.elements(element.expression, made) : [{ node: element, choices: made }]));
      }
      if (ts.isCallExpression(array) && ts.isPropertyAccessExpression(array.expression)) {
        const method = array.expression.name.text;
        if (["filter", "slice", "reverse", "sort", "toSorted", "toReversed"].includes(method)) return this.elements(array.expression.expression, made);
        const result = returned(array.arguments[0]);
        // The callback's parameters are bound, row by row, when the result is read.
        if (method === "map" && result) return [{ node: result, choices: made }];
        if (method === "flatMap" && result) return this.elements(result, made);
      }
      return [];
    });
  }

  property(object, name) {
    object = object && unwrap(object);
    if (!object || !ts.isObjectLiteralExpression(object)) return undefined;
    for (const property of object.properties) {
      if (ts.isPropertyAssignment(property) && property.name.getText(this.sourceFile).replace(/^["']|["']$/g, "") === name) return property.initializer;
      if (ts.isShorthandPropertyAssignment(property) && property.name.text === name) return property.name;
    }
    return undefined;
  }

  element(array, index) {
    array = array && unwrap(array);
    return array && ts.isArrayLiteralExpression(array) ? array.elements[index] : undefined;
  }
}

const NO_CHOICES = new Map();

/**
 * Where a name used at `identifier` is declared: the nearest enclosing block, loop or function
 * that declares it (const/let scoping; imports and globals are not followed).
 */
function declarationOf(identifier) {
  const name = identifier.text;
  for (let scope = identifier.parent; scope; scope = scope.parent) {
    const found = declaredIn(scope, name);
    if (found) return found;
  }
  return undefined;
}

function declaredIn(scope, name) {
  if (ts.isFunctionLike(scope)) {
    for (const parameter of scope.parameters ?? []) {
      const found = bindingNamed(parameter, parameter.name, name);
      if (found) return found;
    }
  }
  if ((ts.isForOfStatement(scope) || ts.isForInStatement(scope) || ts.isForStatement(scope)) && scope.initializer && ts.isVariableDeclarationList(scope.initializer)) {
    for (const declaration of scope.initializer.declarations) {
      const found = bindingNamed(declaration, declaration.name, name);
      if (found) return found;
    }
  }
  if (ts.isBlock(scope) || ts.isSourceFile(scope) || ts.isModuleBlock(scope) || ts.isCaseClause(scope) || ts.isDefaultClause(scope)) {
    for (const statement of scope.statements) {
      if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          const found = bindingNamed(declaration, declaration.name, name);
          if (found) return found;
        }
      } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name?.text === name) {
        return statement;
      }
    }
  }
  return undefined;
}

/** The declaration, or the part of a destructuring pattern, that binds `name`. */
function bindingNamed(declaration, bindingName, name) {
  if (ts.isIdentifier(bindingName)) return bindingName.text === name ? declaration : undefined;
  for (const element of bindingName.elements) {
    if (ts.isOmittedExpression(element)) continue;
    const found = bindingNamed(element, element.name, name);
    if (found) return found;
  }
  return undefined;
}

function unwrap(node) {
  while (
    ts.isParenthesizedExpression(node) ||
    ts.isAsExpression(node) ||
    ts.isSatisfiesExpression(node) ||
    ts.isNonNullExpression(node) ||
    ts.isTypeAssertionExpression(node)
  ) {
    node = node.expression;
  }
  return node;
}

/** The expression an arrow function or function expression returns, when it is a single one. */
function returned(fn) {
  if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return undefined;
  if (!ts.isBlock(fn.body)) return fn.body;
  const returns = fn.body.statements.filter(ts.isReturnStatement);
  return returns.length === 1 ? returns[0].expression : undefined;
}

function hasPlaceholder(title) {
  return /%[sdifjoO#]|\$[A-Za-z_]/.test(title);
}

function limited(list) {
  if (list.length > EXPANSION_LIMIT) throw new Error(`a test title expands to more than ${EXPANSION_LIMIT} titles; simplify it`);
  return list;
}

/** Row id → [{ file, title }], in file order, for every title that names an id. */
export function citationsByRow(titles) {
  const byRow = new Map();
  for (const { file, title } of titles) {
    for (const id of new Set(title.match(ROW_ID) ?? [])) {
      const list = byRow.get(id) ?? [];
      if (!list.some((entry) => entry.file === file && entry.title === title)) list.push({ file, title });
      byRow.set(id, list);
    }
  }
  return byRow;
}

// ---- The document ----------------------------------------------------------------------------

export const APPENDIX_HEADING = "## Where each row is tested";
const STATUS = /^(enforced|planned #\d+)$/;

/**
 * The rows of docs/conformance.md: a table line whose first cell is a row id, with the cells
 * ID | Rule | Spec | Status | Tests. Returns { rows: [{ id, status, line }], problems }.
 */
export function parseDoc(text) {
  const rows = [];
  const problems = [];
  const lines = text.split("\n");
  const end = appendixStart(lines);
  lines.slice(0, end).forEach((line, index) => {
    const cells = tableCells(line);
    if (!cells || !/^[A-Z]{2,5}-\d{2}$/.test(cells[0])) return;
    const [id, rule, spec, status] = cells;
    if (!rule || !spec) problems.push(`line ${index + 1}: row ${id} needs its rule and its spec section`);
    if (cells.length !== 5) problems.push(`line ${index + 1}: row ${id} has ${cells.length} cells, not 5 (ID | Rule | Spec | Status | Tests)`);
    if (!STATUS.test(status ?? "")) problems.push(`line ${index + 1}: row ${id} has status "${status}"; write "enforced" or "planned #<issue>"`);
    if (rows.some((row) => row.id === id)) problems.push(`line ${index + 1}: row ${id} appears twice`);
    rows.push({ id, status: status ?? "", line: index });
  });
  return { rows, problems };
}

function appendixStart(lines) {
  const index = lines.indexOf(APPENDIX_HEADING);
  return index === -1 ? lines.length : index;
}

/** The cells of a Markdown table line (`\|` is a pipe inside a cell), or null. */
function tableCells(line) {
  if (!line.startsWith("|") || !line.trimEnd().endsWith("|")) return null;
  return line
    .trimEnd()
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/**
 * What is wrong between the document's rows and the titles that cite them, by kind; every list
 * is empty when the two agree.
 */
export function checkRows(text, titles) {
  const { rows, problems: format } = parseDoc(text);
  const byRow = citationsByRow(titles);
  const known = new Set(rows.map((row) => row.id));
  const untested = [];
  const alreadyTested = [];
  const unknown = [];
  for (const row of rows) {
    const cited = byRow.get(row.id) ?? [];
    if (row.status === "enforced" && cited.length === 0) {
      untested.push(`${row.id} is enforced but no test title cites it: name ${row.id} in the title of the test that checks it, or mark the row planned`);
    }
    if (row.status.startsWith("planned") && cited.length > 0) {
      alreadyTested.push(`${row.id} is ${row.status} but ${cited[0].file} already tests it ("${cited[0].title}"): mark the row enforced`);
    }
  }
  for (const [id, cited] of byRow) {
    if (!known.has(id)) unknown.push(`${cited[0].file}: the title "${cited[0].title}" cites ${id}, which is not a row of ${DOC_PATH}`);
  }
  return { format, untested, alreadyTested, unknown };
}

/** The document with its Tests cells and closing list rebuilt from the titles. */
export function renderDoc(text, titles) {
  const lines = text.split("\n");
  const end = appendixStart(lines);
  const byRow = citationsByRow(titles);
  const { rows } = parseDoc(text);
  for (const row of rows) {
    const cells = tableCells(lines[row.line]);
    const files = [...new Set((byRow.get(row.id) ?? []).map((entry) => entry.file))];
    cells[4] = files.length > 0 ? files.map((file) => `\`${file}\``).join(", ") : "none";
    lines[row.line] = `| ${cells.slice(0, 5).join(" | ")} |`;
  }
  const head = lines.slice(0, end).join("\n").trimEnd();
  const appendix = [
    APPENDIX_HEADING,
    "",
    `Generated by \`npm run conformance:doc\` from the test titles; do not edit by hand. A title built from a table or a template is shown expanded; a \`%s\` or \`\${…}\` left in it stands for a value the generator does not follow (an import, or one computed when the test runs).`,
    "",
  ];
  for (const row of rows) {
    const cited = byRow.get(row.id);
    if (!cited) continue;
    appendix.push(`### ${row.id}`, "");
    for (const file of [...new Set(cited.map((entry) => entry.file))]) {
      appendix.push(`- \`${file}\``);
      for (const entry of cited.filter((candidate) => candidate.file === file)) appendix.push(`  - ${escapeMarkdown(entry.title)}`);
    }
    appendix.push("");
  }
  return `${head}\n\n${appendix.join("\n").trimEnd()}\n`;
}

function escapeMarkdown(text) {
  // Only what would change the rendering of a plain sentence: code spans, emphasis, HTML.
  return text.replace(/\s+/g, " ").replace(/([\\`*<])/g, "\\$1");
}

// ---- Command line ----------------------------------------------------------------------------

function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const docFile = path.join(root, DOC_PATH);
  const text = fs.readFileSync(docFile, "utf8");
  const titles = scanTests(root);
  const rendered = renderDoc(text, titles);
  const problems = Object.values(checkRows(rendered, titles)).flat();
  if (process.argv.includes("--check")) {
    if (rendered !== text) problems.unshift(`${DOC_PATH} is not what the tests cite: run npm run conformance:doc`);
  } else if (rendered !== text) {
    fs.writeFileSync(docFile, rendered);
    console.log(`${DOC_PATH} updated`);
  }
  for (const problem of problems) console.error(problem);
  process.exitCode = problems.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
