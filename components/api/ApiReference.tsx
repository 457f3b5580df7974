// The management API's OpenAPI document, rendered as a readable reference:
// operations grouped by tag, each with its parameters, request body fields and
// answers. Plain server-rendered HTML (no script, nothing from a CDN: the page
// CSP allows neither), read from the document itself so it cannot drift.
import type { ReactNode } from "react";
import { Cell, Table } from "@/components/ui/Table";

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  items?: Schema;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
  default?: unknown;
  format?: string;
  $ref?: string;
};

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema: Schema;
}

interface Operation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  parameters: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
}

export interface OpenApiDocument {
  info: { title: string; description: string };
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
}

/** A schema's type in a few words: "string", "one of RS256, ES256", "array of string", "string or null". */
function typeOf(schema: Schema | undefined): string {
  if (!schema) return "any";
  if (schema.$ref) return schema.$ref.split("/").at(-1) ?? "object";
  if (schema.enum) return `one of ${schema.enum.map((value) => JSON.stringify(value)).join(", ")}`;
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(" or ");
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return types
    .map((type) => (type === "array" ? `array of ${typeOf(schema.items)}` : type === "integer" ? "integer" : schema.format ? `${type} (${schema.format})` : type))
    .join(" or ") || "any";
}

function FieldTable({ caption, schema }: { caption: string; schema: Schema }) {
  const fields = Object.entries(schema.properties ?? {});
  if (fields.length === 0) return null;
  return (
    <Table caption={caption} columns={["Field", "Type", "Required", "Description"]}>
      {fields.map(([name, field]) => (
        <tr key={name}>
          <Cell>
            <code>{name}</code>
          </Cell>
          <Cell>{typeOf(field)}</Cell>
          <Cell>{(schema.required ?? []).includes(name) && field.default === undefined ? "yes" : "no"}</Cell>
          <Cell>
            {field.description ?? ""}
            {field.default !== undefined ? <span className="text-slate-600"> Default: {JSON.stringify(field.default)}.</span> : null}
          </Cell>
        </tr>
      ))}
    </Table>
  );
}

const METHOD_STYLES: Record<string, string> = {
  get: "bg-sky-100 text-sky-900",
  post: "bg-emerald-100 text-emerald-900",
  put: "bg-amber-100 text-amber-900",
  delete: "bg-red-100 text-red-900",
};

function Heading({ level, id, children }: { level: 4; id: string; children: ReactNode }) {
  const Tag = `h${level}` as const;
  return (
    <Tag id={id} className="text-sm font-semibold text-slate-900">
      {children}
    </Tag>
  );
}

function OperationView({ method, path, operation }: { method: string; path: string; operation: Operation }) {
  const id = operation.operationId;
  const body = operation.requestBody?.content["application/json"]?.schema;
  return (
    <section aria-labelledby={id} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <h3 id={id} className="flex flex-wrap items-center gap-2 text-base font-semibold text-slate-900">
        <span className={`rounded px-2 py-0.5 font-mono text-xs uppercase ${METHOD_STYLES[method] ?? "bg-slate-100 text-slate-900"}`}>{method}</span>
        <code className="font-mono text-sm">{path}</code>
        <span className="font-normal text-slate-700">— {operation.summary}</span>
      </h3>
      {operation.description ? <p className="text-sm text-slate-700">{operation.description}</p> : null}
      {operation.parameters.length > 0 ? (
        <>
          <Heading level={4} id={`${id}-parameters`}>
            Parameters
          </Heading>
          <Table caption={`Parameters of ${operation.operationId}`} columns={["Name", "In", "Type", "Required", "Description"]}>
            {operation.parameters.map((parameter) => (
              <tr key={`${parameter.in}-${parameter.name}`}>
                <Cell>
                  <code>{parameter.name}</code>
                </Cell>
                <Cell>{parameter.in}</Cell>
                <Cell>{typeOf(parameter.schema)}</Cell>
                <Cell>{parameter.required ? "yes" : "no"}</Cell>
                <Cell>{parameter.description ?? ""}</Cell>
              </tr>
            ))}
          </Table>
        </>
      ) : null}
      {body ? (
        <>
          <Heading level={4} id={`${id}-body`}>
            Request body (application/json)
          </Heading>
          <FieldTable caption={`Request body of ${operation.operationId}`} schema={body} />
        </>
      ) : null}
      <Heading level={4} id={`${id}-responses`}>
        Responses
      </Heading>
      <ul className="space-y-1 text-sm text-slate-700">
        {Object.entries(operation.responses).map(([status, response]) => (
          <li key={status}>
            <strong className="font-mono">{status}</strong> {response.description}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function ApiReference({ document }: { document: OpenApiDocument }) {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
  return (
    <div className="space-y-8">
      {document.tags.map(({ name }) => {
        const id = `tag-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
        return (
          <section key={name} aria-labelledby={id} className="space-y-3">
            <h2 id={id} className="text-lg font-semibold text-slate-900">
              {name}
            </h2>
            {operations
              .filter(({ operation }) => operation.tags.includes(name))
              .map(({ path, method, operation }) => (
                <OperationView key={operation.operationId} method={method} path={path} operation={operation} />
              ))}
          </section>
        );
      })}
    </div>
  );
}
