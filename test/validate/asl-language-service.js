// Validates Amazon States Language definitions with
// amazon-states-language-service (the language service behind AWS's Step
// Functions editor tooling: its JSON schema plus its own state checks), all
// in one process.
//
//   node asl-language-service.js <module dir> <definitions.json>
//
// definitions.json is {"<name>": <definition object>, ...}. Each definition is
// validated as the editor would see it: JSON indented by two spaces. Prints
// one JSON document:
//
//   {"version": "1.16.1", "multilineAccepted": false,
//    "results": {"<name>": [{"message", "severity", "source", "code",
//                            "line", "path", "value", "multilineOnly"}]}}
//
// "path" is the JSON pointer of the node the diagnostic is on, "value" that
// node's value when it is a string.
//
// Multi-line JSONata: the service's schema matches a JSONata string (Map
// Items, Choice Condition, ...) with the pattern ^{%(.*)%}$, whose "." does
// not match a line break, while Step Functions accepts multi-line
// expressions. Each definition is therefore validated twice, as it is and
// with line breaks in "{% ... %}" strings turned into spaces (JSONata
// whitespace); "multilineOnly" marks a diagnostic on a multi-line JSONata
// string that the one-line copy does not have. "multilineAccepted" tells
// whether a definition with multi-line Items and Condition now validates
// without a diagnostic.
//
// Exits 0 when every definition could be checked (valid or not), 2 on an error
// of the service itself.
"use strict";

const fs = require("fs");
const path = require("path");

const [moduleDir, definitionsFile] = process.argv.slice(2);
if (!moduleDir || !definitionsFile) {
  console.error("usage: node asl-language-service.js <module dir> <definitions.json>");
  process.exit(2);
}
const asl = require(moduleDir);
const version = JSON.parse(fs.readFileSync(path.join(moduleDir, "package.json"), "utf8")).version;
const definitions = JSON.parse(fs.readFileSync(definitionsFile, "utf8"));
const service = asl.getLanguageService({});

// pointer returns the JSON pointer of an AST node.
function pointer(node) {
  const parts = [];
  for (let n = node; n && n.parent; n = n.parent) {
    const p = n.parent;
    if (p.type === "property") {
      if (p.keyNode !== n) parts.unshift(p.keyNode.value);
    } else if (p.type === "array") {
      parts.unshift(String(p.items.indexOf(n)));
    }
  }
  return parts.map((s) => "/" + s.replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

const isJsonata = (s) => s.startsWith("{%") && s.endsWith("%}");

// oneLine returns v with line breaks in JSONata strings turned into spaces.
function oneLine(v) {
  if (typeof v === "string") return isJsonata(v) ? v.replace(/\r\n|\r|\n/g, " ") : v;
  if (Array.isArray(v)) return v.map(oneLine);
  if (v !== null && typeof v === "object") {
    const out = {};
    for (const [k, e] of Object.entries(v)) out[k] = oneLine(e);
    return out;
  }
  return v;
}

async function validate(name, definition) {
  const text = JSON.stringify(definition, null, 2);
  const doc = asl.TextDocument.create(`file:///${encodeURIComponent(name)}.asl.json`, "json", 0, text);
  const json = service.parseJSONDocument(doc);
  const diagnostics = await service.doValidation(doc, json);
  return diagnostics.map((d) => {
    let node = json.getNodeFromOffset(doc.offsetAt(d.range.start), true);
    // A diagnostic on a property names its key; report the value.
    if (node && node.type === "property" && node.valueNode) node = node.valueNode;
    if (node && node.parent && node.parent.type === "property" && node.parent.keyNode === node && node.parent.valueNode) {
      node = node.parent.valueNode;
    }
    return {
      message: d.message,
      severity: d.severity,
      source: d.source || "",
      code: d.code === undefined ? "" : String(d.code),
      line: d.range.start.line + 1,
      path: node ? pointer(node) : "",
      value: node && node.type === "string" ? node.value : null,
    };
  });
}

async function main() {
  const probe = {
    QueryLanguage: "JSONata",
    StartAt: "C",
    States: {
      C: {
        Type: "Choice",
        Choices: [{ Condition: "{% $count($states.input) >\n  1 %}", Next: "M" }],
        Default: "M",
      },
      M: {
        Type: "Map",
        Items: "{% [\n  1,\n  2\n] %}",
        ItemProcessor: { StartAt: "P", States: { P: { Type: "Pass", End: true } } },
        End: true,
      },
    },
  };
  const multilineAccepted = (await validate("probe", probe)).length === 0;
  const results = {};
  for (const [name, definition] of Object.entries(definitions)) {
    const diagnostics = await validate(name, definition);
    const key = (d) => d.path + "\n" + d.message;
    const oneLineKeys = new Set((await validate(name, oneLine(definition))).map(key));
    for (const d of diagnostics) {
      d.multilineOnly = d.value !== null && isJsonata(d.value) && /[\r\n]/.test(d.value) && !oneLineKeys.has(key(d));
    }
    results[name] = diagnostics;
  }
  process.stdout.write(JSON.stringify({ version, multilineAccepted, results }));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(2);
});
