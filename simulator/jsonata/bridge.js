'use strict';
// bridge.js is the Node side of package jsonata (Go). It is embedded in the
// Go package and run with `node -e <this file> <dir of the jsonata module>`.
//
// Protocol: newline-delimited JSON on stdin/stdout, one line per message.
//   startup  out: {"ready":{"jsonata":"2.2.2","node":"v22.x"}}
//   request  in:  {"id":7,"r":[{"x":"<expr>","i":<input>,"b":{<bindings>}}, ...]}
//   response out: {"id":7,"r":[<result>, ...]}  (results in request order)
//   result:       {"v":<value>} | {"u":true} (undefined) | {"e":{"code","message","position"}}
//   several:      a request {"xs":["<expr>", ...],"i":...,"b":...} evaluates each
//                 expression with the same input and bindings (parsed once) and is
//                 answered {"m":[<result>, ...]}, in order
//   parse only:   a request {"x":"<expr>","p":true} is parsed, not evaluated, and
//                 answered {"a":<syntax tree, jsonata's expr.ast()>} or {"e":...}
//   fatal:        {"id":7,"fatal":"<message>"}  (the request line itself was unusable)
// Requests are evaluated one at a time, in arrival order; whatever arrived in
// one stdin chunk is answered with one stdout write. stdout carries only
// protocol lines: console.log is redirected to stderr.

const crypto = require('crypto');
const path = require('path');

console.log = console.error;
console.info = console.error;
console.warn = console.error;

const jsonataDir = process.argv[1];
const jsonata = require(jsonataDir);
const jsonataVersion = require(path.join(jsonataDir, 'package.json')).version;

// Compiled expressions by expression string, least recently used first.
// A compile error is cached too: the same bad expression fails the same way.
const CACHE_MAX = 10000;
const cache = new Map();

// Evaluation guard: depth of jsonata's evaluator recursion. Without it a
// non-terminating recursive lambda grows the promise chain until the heap is
// exhausted (about a minute and 4 GB); with it jsonata throws D1011 within a
// second. The stack guard costs nothing measurable; jsonata's `timeout`
// option (which would also stop tail-recursive infinite loops) costs 10-20%
// per evaluation and is not used.
const OPTIONS = { stack: 100000 };

// Custom error codes (mirrored as constants in jsonata.go).
const CODE_EVAL = 'SFN0001';
const CODE_ARG = 'SFN0002';
const CODE_PARSE = 'SFN0003';
const CODE_NONJSON = 'SFN0004';
const CODE_INTERNAL = 'SFN0005';

function sfnError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

// ---- Step Functions' JSONata functions ----------------------------------
// AWS Step Functions developer guide, "Transforming data with JSONata in Step
// Functions", section "JSONata functions provided by Step Functions". Its note
// "Built-in JSONata functions that require integer values as parameters will
// automatically round down any non-integer numbers provided" is applied with
// Math.floor to every integer parameter below (the guide does not say how
// negative non-integers round; floor is "down").
// An undefined first argument gives undefined, as in JSONata's own functions.

function toInt(fn, what, v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw sfnError(CODE_ARG, `$${fn}: ${what} must be a number, got ${v === undefined ? 'undefined' : JSON.stringify(v)}`);
  }
  return Math.floor(v);
}

// $partition(array, chunkSize): "The first parameter is the array to
// partition, the second parameter is an integer representing the chunk size.
// The return value will be a two-dimensional array ... The length of the last
// array chunk may be less". States.ArrayPartition requires "a non-zero,
// positive integer" chunk size, enforced here after rounding down.
// Left open by the guide: an empty array gives [] (no chunks); a non-array
// value is a one-element array (JSONata's signature coercion).
function partition(arr, size) {
  if (arr === undefined) return undefined;
  const n = toInt('partition', 'chunk size', size);
  if (n < 1) {
    throw sfnError(CODE_ARG, `$partition: chunk size must be a positive integer, got ${JSON.stringify(size)}`);
  }
  const out = [];
  for (let i = 0; i < arr.length; i += n) out.push(arr.slice(i, i + n));
  return out;
}

// $range(start, end, step): "This function takes three arguments" (all three
// are required), integers, from start to end "until the end value is reached
// or exceeded" (end is included when a step lands on it); step may be
// negative. States.ArrayRange requires a non-zero step and allows at most
// 1000 elements; both are enforced. Left open by the guide: a step pointing
// away from end gives [] (States.ArrayRange's behaviour is not documented).
// The result is a JSONata sequence, so that one element comes out unwrapped as
// JSONata unwraps the sequences of its own $map or paths: AWS returns 1 for
// $range(1, 9, 9) and [0, 3, 6, 9] for $range(0, 9, 3) (executions recorded on
// AWS in LocalStack's test_array_jsonata::test_array_range), while
// $partition([0], 1) stays [[0]] (test_array_partition), so only $range does.
const RANGE_MAX = 1000;
function range(start, end, step) {
  const a = toInt('range', 'start', start);
  const b = toInt('range', 'end', end);
  const d = toInt('range', 'step', step);
  if (d === 0) throw sfnError(CODE_ARG, '$range: step must not be zero');
  const count = Math.floor((b - a) / d) + 1;
  if (count <= 0) return [];
  if (count > RANGE_MAX) {
    throw sfnError(CODE_ARG, `$range: the array would have ${count} elements; at most ${RANGE_MAX} are allowed`);
  }
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = a + i * d;
  Object.defineProperty(out, 'sequence', { value: true }); // jsonata's isSequence test
  return out;
}

// $hash(value, algorithm): "The first argument is the source string to be
// hashed. The second argument is a string representing the hashing algorithm
// ... must be one of the following values: "MD5", "SHA-1", "SHA-256",
// "SHA-384", "SHA-512". The return value is a string of the calculated hash".
// There is no default algorithm: both arguments are required. Names are
// matched exactly (case-sensitive). The string is hashed as UTF-8; the result
// is lowercase hex, as in the States.Hash example. States.Hash's "10,000
// characters or less" bound on the data is enforced (counted in code points);
// the $hash section itself states no bound.
const HASHES = { 'MD5': 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const HASH_MAX_CHARS = 10000;
function hash(value, algorithm) {
  if (value === undefined) return undefined;
  if (typeof algorithm !== 'string' || !Object.prototype.hasOwnProperty.call(HASHES, algorithm)) {
    throw sfnError(CODE_ARG, `$hash: algorithm must be one of "MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512", got ${algorithm === undefined ? 'undefined' : JSON.stringify(algorithm)}`);
  }
  if (value.length > HASH_MAX_CHARS) {
    let chars = 0;
    for (const _ of value) chars++; // eslint-disable-line no-unused-vars
    if (chars > HASH_MAX_CHARS) {
      throw sfnError(CODE_ARG, `$hash: the value has ${chars} characters; at most ${HASH_MAX_CHARS} are allowed`);
    }
  }
  return crypto.createHash(HASHES[algorithm]).update(value, 'utf8').digest('hex');
}

// $random() / $random(seed): "a random number n where 0 ≤ n < 1 ... takes an
// optional integer argument representing the seed value ... with the same seed
// value, it returns an identical number." The generator behind AWS's seeded
// numbers is not documented, so the exact value differs from AWS; this uses
// java.util.Random(seed).nextDouble() (seed rounded down, as a 64-bit long).
// An undefined seed (e.g. $random($states.input.missing)) cannot be told
// apart from no argument in JSONata and gives an unseeded number.
const LCG_MULT = 0x5DEECE66Dn;
const LCG_ADD = 0xBn;
const LCG_MASK = (1n << 48n) - 1n;
function javaNextDouble(seed) {
  let s = (BigInt.asIntN(64, BigInt(seed)) ^ LCG_MULT) & LCG_MASK;
  const next = (bits) => {
    s = (s * LCG_MULT + LCG_ADD) & LCG_MASK;
    return s >> BigInt(48 - bits);
  };
  const hi = next(26);
  const lo = next(27);
  return Number((hi << 27n) + lo) / 2 ** 53;
}
function random(seed) {
  if (seed === undefined) return Math.random();
  return javaNextDouble(toInt('random', 'seed', seed));
}

// $uuid(): "takes no arguments. This function return a v4 UUID."
function uuid() {
  return crypto.randomUUID();
}

// $parse(jsonString): "deserialize JSON strings. The function takes a
// stringified JSON as its only argument." Invalid JSON is an error.
function parse(s) {
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s);
  } catch (e) {
    throw sfnError(CODE_PARSE, `$parse: the argument is not valid JSON: ${e.message}`);
  }
}

// $eval: "$eval is not supported in Step Functions workflows".
function evalUnsupported() {
  throw sfnError(CODE_EVAL, '$eval is not supported by AWS Step Functions: use $parse to deserialize JSON');
}

function compile(src) {
  let entry = cache.get(src);
  if (entry !== undefined) {
    cache.delete(src); // move to the most recently used end
    cache.set(src, entry);
  } else {
    try {
      const expr = jsonata(src, OPTIONS);
      expr.registerFunction('partition', partition, '<an:a>');
      expr.registerFunction('range', range, '<nnn:a<n>>');
      expr.registerFunction('hash', hash, '<ss:s>');
      expr.registerFunction('random', random, '<n?:n>');
      expr.registerFunction('uuid', uuid, '<:s>');
      expr.registerFunction('parse', parse, '<s:j>');
      expr.registerFunction('eval', evalUnsupported);
      entry = { expr };
    } catch (err) {
      entry = { err };
    }
    cache.set(src, entry);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value);
  }
  if (entry.err !== undefined) throw entry.err;
  return entry.expr;
}

// checkJSON throws if v holds something JSON cannot represent, naming where.
// Object members that are undefined are dropped (as JSON.stringify does and as
// JSONata's own object constructor does).
function checkJSON(v, where) {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(v)) throw nonJSON(where, String(v));
      return;
    case 'function':
      throw nonJSON(where, 'a function');
    case 'object':
      if (v === null) return;
      if (v._jsonata_lambda || v._jsonata_function) throw nonJSON(where, 'a function');
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          if (v[i] === undefined) throw nonJSON(`${where}[${i}]`, 'undefined');
          checkJSON(v[i], `${where}[${i}]`);
        }
        return;
      }
      for (const k of Object.keys(v)) {
        if (v[k] !== undefined) checkJSON(v[k], `${where}.${k}`);
      }
      return;
    default:
      throw nonJSON(where, typeof v);
  }
}

function nonJSON(where, what) {
  const at = where === '' ? 'the result' : `the result at ${where.replace(/^\./, '')}`;
  return sfnError(CODE_NONJSON, `${at} is ${what}, which JSON cannot represent`);
}

function errorJSON(err) {
  if (err === null || typeof err !== 'object') {
    return JSON.stringify({ code: CODE_INTERNAL, message: String(err), position: 0 });
  }
  return JSON.stringify({
    code: typeof err.code === 'string' ? err.code : CODE_INTERNAL,
    message: typeof err.message === 'string' && err.message !== '' ? err.message : String(err),
    position: typeof err.position === 'number' ? err.position : 0,
  });
}

async function evalOne(req) {
  const x = req.x === undefined ? '' : req.x; // Go omits an empty "x"
  if (req.p === true) return parseOne(x);
  if (Array.isArray(req.xs)) {
    const out = new Array(req.xs.length);
    for (let i = 0; i < req.xs.length; i++) out[i] = await evalExpr(req.xs[i], req.i, req.b);
    return '{"m":[' + out.join(',') + ']}';
  }
  return evalExpr(x, req.i, req.b);
}

async function evalExpr(src, input, bindings) {
  try {
    const expr = compile(src);
    const v = await expr.evaluate(input, bindings);
    if (v === undefined) return '{"u":true}';
    checkJSON(v, '');
    return '{"v":' + JSON.stringify(v) + '}';
  } catch (err) {
    return '{"e":' + errorJSON(err) + '}';
  }
}

// parseOne answers a parse-only request: the syntax tree the executor checks
// definitions against, or the parser's error.
function parseOne(src) {
  try {
    return '{"a":' + JSON.stringify(compile(src).ast()) + '}';
  } catch (err) {
    return '{"e":' + errorJSON(err) + '}';
  }
}

async function handle(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (e) {
    const m = /"id":(\d+)/.exec(line);
    return JSON.stringify({ id: m ? Number(m[1]) : 0, fatal: `bad request line: ${e.message}` }) + '\n';
  }
  const ok = msg !== null && typeof msg === 'object' && typeof msg.id === 'number';
  const reqs = ok ? msg.r : undefined;
  if (!Array.isArray(reqs)) {
    return JSON.stringify({ id: ok ? msg.id : 0, fatal: 'bad request: want {"id":<number>,"r":[...]}' }) + '\n';
  }
  const out = new Array(reqs.length);
  for (let i = 0; i < reqs.length; i++) out[i] = await evalOne(reqs[i]);
  return '{"id":' + msg.id + ',"r":[' + out.join(',') + ']}\n';
}

const queue = [];
let busy = false;

async function drain() {
  busy = true;
  let out = '';
  while (queue.length > 0) {
    const lines = queue.splice(0, queue.length);
    for (const line of lines) {
      out += await handle(line);
      if (out.length > 1 << 20) {
        process.stdout.write(out);
        out = '';
      }
    }
  }
  if (out !== '') process.stdout.write(out);
  busy = false;
}

let partial = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (chunk.indexOf('\n') < 0) {
    partial += chunk;
    return;
  }
  const parts = (partial + chunk).split('\n');
  partial = parts.pop();
  for (const p of parts) if (p !== '') queue.push(p);
  if (!busy && queue.length > 0) drain();
});
process.stdout.on('error', () => process.exit(1));

process.stdout.write(JSON.stringify({ ready: { jsonata: jsonataVersion, node: process.version } }) + '\n');
