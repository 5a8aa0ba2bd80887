// Package jsonata evaluates JSONata expressions with the reference
// implementation, npm jsonata 2.2.2, for the project's tests and its local
// Step Functions executor.
//
// # Why Node
//
// AWS Step Functions evaluates the {% %} fields of a JSONata state with its
// own JSONata implementation; the closest thing available locally is the
// reference implementation in JavaScript. A Go port would be one more place
// for behaviour to drift (number formatting, date pictures, regular
// expressions, sequence flattening, error codes), so an [Evaluator] runs one
// long-lived Node process with the jsonata module from the project's
// node_modules (package.json pins it; `npm ci` at the root installs it, and
// [Start] refuses any version but 2.2.2) and talks to it over stdin/stdout
// with newline-delimited JSON. The Node side is bridge.js, embedded in this
// package and run with `node -e`.
//
// # Step Functions
//
// Every evaluation has Step Functions' extra functions — $partition,
// $range, $hash, $random (with an optional seed), $uuid, $parse — as the
// Step Functions developer guide defines them ("Transforming data with
// JSONata in Step Functions"), and $eval fails with [CodeEvalUnsupported]
// because Step Functions does not support it. bridge.js quotes the guide for
// each function and notes what it leaves open and what was chosen: integer
// arguments round down; $partition needs a chunk size of at least 1; $range
// needs all three arguments, a non-zero step and at most 1000 elements
// (States.ArrayRange's limit); $hash has no default algorithm, takes the five
// names exactly, hashes UTF-8 to lowercase hex and allows 10,000 characters
// (States.Hash's limit); $random(seed) is java.util.Random(seed).nextDouble(),
// since AWS does not document its generator — the same seed always gives the
// same number here, but not AWS's number. Errors these functions raise carry
// the SFN codes declared in this package; JSONata's own errors keep
// JSONata's codes (T2002, S0201, D3030, ...).
//
// # Values
//
// Inputs and bindings are encoded with encoding/json; results come back as
// map[string]any, []any, float64, string, bool or nil, so integers up to
// 2^53 survive (5497558138880 does). An undefined result is reported as
// Undefined, apart from JSON null. A result JSON cannot hold (a function,
// NaN, Infinity) is an error with [CodeNotJSON], not a silent null. Node caches
// up to 10,000 compiled expressions by expression string, least recently used
// evicted first, so a simulation that evaluates the same few expressions
// hundreds of thousands of times parses each once. Evaluation depth is capped
// (jsonata's stack option, 100,000), so a runaway recursive lambda fails with
// D1011 in about a second instead of exhausting Node's heap.
//
// # Cost
//
// One round trip to Node dominates the cost of a small expression, so
// evaluate a state's fields together with [Evaluator.EvalMany] (a
// [Request] with Exprs sends their shared input and bindings once), and call
// from several goroutines: requests carry ids and are pipelined, which the
// measurements below favour over a mutex held for each round trip. Node
// evaluates on one thread; a [Pool] runs several processes, so that a long
// run's JSONata uses more than one core.
// Measured with
//
//	go test ./simulator/jsonata/ -run TestMeasure -v
//
// on the development VM (2 vCPUs, AMD EPYC, Go 1.26.8, Node 22.23.3), for
// $states.input.bytes * 2 with a $states binding, three runs:
//
//	20,000 sequential Eval                        1.08-1.11 s   54-55 µs/eval
//	20,000 in EvalMany batches of 10              0.27-0.28 s   13.5-13.8 µs/eval
//	20,000 Eval from 8 goroutines                 0.28-0.30 s   14.0-14.9 µs/eval
//	20,000 Eval from 8 goroutines, one at a time  1.25-1.29 s   62.5-64.3 µs/eval
//
// The last line is what a mutex around each round trip would give. The
// figures were taken with the VM otherwise idle; with other builds running
// (load average 4-5) they were two to five times higher. For comparison, a
// bare pipe echo through Node costs about 20 µs per round trip on the same
// VM and the bridge's own work (parse, evaluate, serialise) about 15-25 µs,
// so the Go side adds a few µs.
//
// # Finding Node and jsonata
//
// See [Start]: $SNAPSHOTLAKE_ROOT, else the first directory above the working
// directory (then above the executable) holding node_modules/jsonata; Node is
// $JSII_NODE, else <root>/node_modules/.bin/node, else node on PATH. When
// Node dies, pending and later calls fail with an error that includes the
// tail of Node's stderr. Nothing here calls AWS or the network.
package jsonata
