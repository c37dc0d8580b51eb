// Checks docs/openapi.json: valid against the OpenAPI 3.1 schema (@seriousme/openapi-schema-validator),
// every local $ref resolves, every operation has a unique operationId, and every {param} of a path
// template is declared as a path parameter of each of its operations.
// Usage: node validate.mjs [path/to/openapi.json]   (default: ../../docs/openapi.json from this file)
// Exits 0 when the document passes, 1 (after printing every problem) when it does not.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";

const here = dirname(fileURLToPath(import.meta.url));
const file = resolve(process.argv[2] ?? resolve(here, "../../docs/openapi.json"));
const problems = [];

let doc;
try {
  doc = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  console.error(`${file}: cannot read or parse: ${e.message}`);
  process.exit(1);
}

// 1. The OpenAPI schema of the document's version; we promise 3.1.
if (typeof doc.openapi !== "string" || !doc.openapi.startsWith("3.1.")) {
  problems.push(`openapi: expected a 3.1.x version, found ${JSON.stringify(doc.openapi)}`);
}
const validator = new Validator();
const result = await validator.validate(structuredClone(doc));
if (!result.valid) {
  for (const e of [].concat(result.errors ?? [])) {
    problems.push(`schema: ${e.instancePath || "/"} ${e.message ?? JSON.stringify(e)}${e.params ? " " + JSON.stringify(e.params) : ""}`);
  }
}

// 2. Every $ref is local and resolves (JSON Pointer, RFC 6901).
function resolvePointer(root, pointer) {
  if (pointer === "") return { found: true, value: root };
  let node = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object" || !Object.prototype.hasOwnProperty.call(node, key)) return { found: false };
    node = node[key];
  }
  return { found: true, value: node };
}
let refs = 0;
(function walk(node, where) {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, `${where}/${i}`));
    return;
  }
  if (node === null || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    const at = `${where}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    if (key === "$ref" && typeof value === "string") {
      ++refs;
      if (!value.startsWith("#")) problems.push(`${at}: external $ref ${value} (this document must stand alone)`);
      else if (!resolvePointer(doc, value.slice(1)).found) problems.push(`${at}: $ref ${value} does not resolve`);
    } else {
      walk(value, at);
    }
  }
})(doc, "#");

// 3. Unique operationIds, and path template parameters declared.
const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const ids = new Map();
let operations = 0;
const deref = (p) => (p && typeof p.$ref === "string" ? resolvePointer(doc, p.$ref.slice(1)).value : p);
for (const [path, item] of Object.entries(doc.paths ?? {})) {
  const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  for (const method of methods) {
    const op = item?.[method];
    if (!op) continue;
    ++operations;
    const name = `${method.toUpperCase()} ${path}`;
    if (typeof op.operationId !== "string" || op.operationId === "") {
      problems.push(`${name}: no operationId`);
    } else if (ids.has(op.operationId)) {
      problems.push(`${name}: operationId '${op.operationId}' is also used by ${ids.get(op.operationId)}`);
    } else {
      ids.set(op.operationId, name);
    }
    const declared = new Set(
      [...(item.parameters ?? []), ...(op.parameters ?? [])].map(deref).filter((p) => p?.in === "path").map((p) => p.name),
    );
    for (const param of templated) {
      if (!declared.has(param)) problems.push(`${name}: path parameter {${param}} is not declared`);
    }
    for (const param of declared) {
      if (!templated.includes(param)) problems.push(`${name}: declares path parameter '${param}' the template lacks`);
    }
    if (!Array.isArray(op["x-fleetgate-roles"])) problems.push(`${name}: no x-fleetgate-roles array`);
  }
}
if (operations === 0) problems.push("paths: no operations");

if (problems.length > 0) {
  console.error(`${file}: ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`${file}: valid OpenAPI ${doc.openapi}; ${operations} operations, ${ids.size} unique operationIds, ${refs} $refs resolved`);
