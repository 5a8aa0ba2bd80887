// Validates Amazon States Language definitions with asl-validator, all in one
// process.
//
//   node asl-validate.js <module dir> <definitions.json>
//
// definitions.json is {"<name>": <definition object>, ...}. Prints one JSON
// document:
//
//   {"version": "4.0.0", "multilineAccepted": false,
//    "results": {"<name>": {"valid": bool, "multilineExpressions": n,
//                           "errors": [{"code", "message", "path"}]}}}
//
// Exits 0 when every definition could be checked (valid or not), 2 on an error
// of the validator itself.
//
// Multi-line JSONata: asl-validator 4.0.0 matches a JSONata string with
// /^\{% .+ %\}$/, whose "." does not match a line break, so it rejects
// multi-line expressions, which Step Functions accepts (as CDK does since
// aws/aws-cdk#35985). Line breaks inside "{% ... %}" strings are therefore
// turned into spaces before validation: JSONata treats them as whitespace
// (in a string literal the value changes, its validity does not), and the
// validator still parses every expression with jsonata (its jsonata_string
// format). "multilineAccepted" tells whether the validator now accepts them
// unchanged, i.e. whether this work-around can go.
"use strict";

const fs = require("fs");
const path = require("path");

const [moduleDir, definitionsFile] = process.argv.slice(2);
if (!moduleDir || !definitionsFile) {
  console.error("usage: node asl-validate.js <module dir> <definitions.json>");
  process.exit(2);
}
const validate = require(moduleDir);
const version = JSON.parse(fs.readFileSync(path.join(moduleDir, "package.json"), "utf8")).version;
const definitions = JSON.parse(fs.readFileSync(definitionsFile, "utf8"));

const isJsonata = (s) => s.startsWith("{%") && s.endsWith("%}");

// oneLine returns v with line breaks in JSONata strings turned into spaces,
// counting the strings changed in counter.n.
function oneLine(v, counter) {
  if (typeof v === "string") {
    if (isJsonata(v) && /[\r\n]/.test(v)) {
      counter.n++;
      return v.replace(/\r\n|\r|\n/g, " ");
    }
    return v;
  }
  if (Array.isArray(v)) return v.map((e) => oneLine(e, counter));
  if (v !== null && typeof v === "object") {
    const out = {};
    for (const [k, e] of Object.entries(v)) out[k] = oneLine(e, counter);
    return out;
  }
  return v;
}

// Both checks on, as the asl-validator CLI does by default.
const options = { checkPaths: true, checkArn: true };

const probe = {
  QueryLanguage: "JSONata",
  StartAt: "A",
  States: { A: { Type: "Pass", Output: "{% (\n  1 + 1\n) %}", End: true } },
};
const multilineAccepted = validate(probe, options).isValid;

const results = {};
for (const [name, definition] of Object.entries(definitions)) {
  const counter = { n: 0 };
  const { isValid, errors } = validate(oneLine(definition, counter), options);
  results[name] = {
    valid: isValid,
    multilineExpressions: counter.n,
    errors: (errors || []).map((e) => ({
      code: e["Error code"] || "",
      message: e.Message || e.message || JSON.stringify(e),
      path: e.path || (e.schemaError && e.schemaError.instancePath) || "",
    })),
  };
}
process.stdout.write(JSON.stringify({ version, multilineAccepted, results }));
