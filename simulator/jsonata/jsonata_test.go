package jsonata

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snapshotlake/snapshotlake/internal/nodedeps"
)

// shared is the evaluator most tests use; tests that kill or close Node start
// their own.
var shared *Evaluator

func TestMain(m *testing.M) {
	if err := nodedeps.Check(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var err error
	shared, err = Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = shared.Close()
	os.Exit(code)
}

// states is the $states binding used by the tests.
func states(input any) map[string]any {
	return map[string]any{"states": map[string]any{
		"input":   input,
		"context": map[string]any{"Execution": map[string]any{"Id": "arn:aws:states:eu-west-1:123456789012:execution:sm:run-1"}},
	}}
}

// undef marks an expected undefined result in the tables.
type undefT struct{}

var undef = undefT{}

func checkValue(t *testing.T, give string, got any, gotUndef bool, want any) {
	t.Helper()
	if _, ok := want.(undefT); ok {
		if !gotUndef {
			t.Errorf("%s = %#v, want undefined", give, got)
		}
		return
	}
	if gotUndef {
		t.Errorf("%s = undefined, want %#v", give, want)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", give, got, want)
	}
}

func TestEval(t *testing.T) {
	input := map[string]any{
		"name":     "Zoë",
		"city":     "東京 🌍",
		"bytes":    5497558138880.0,
		"max":      9007199254740992.0, // 2^53
		"nothing":  nil,
		"items":    []any{map[string]any{"k": "a", "n": 1.0}, map[string]any{"k": "b", "n": 2.0}, map[string]any{"k": "c", "n": 3.0}},
		"exportId": "exp-1",
		"flag":     true,
	}
	bindings := states(input)
	bindings["exportId"] = "snap-2026-11-24"
	bindings["count"] = 3.0

	tests := []struct {
		name string
		give string
		want any
	}{
		{"number", "1 + 2 * 3", 7.0},
		{"float", "0.1 + 0.2", 0.30000000000000004},
		{"string concat", "'a' & 'b' & 1", "ab1"},
		{"boolean", "1 < 2 and true", true},
		{"conditional", "$count > 2 ? 'many' : 'few'", "many"},
		{"states input path", "$states.input.name", "Zoë"},
		{"states context", "$states.context.Execution.Id", "arn:aws:states:eu-west-1:123456789012:execution:sm:run-1"},
		{"assigned variable", "$exportId & '/part'", "snap-2026-11-24/part"},
		{"filter and map", "$states.input.items[n > 1].k", []any{"b", "c"}},
		{"singleton filter unwraps", "$states.input.items[n = 2].k", "b"},
		{"aggregate", "$sum($states.input.items.n)", 6.0},
		{"object constructor", "{'id': $exportId, 'n': $count}", map[string]any{"id": "snap-2026-11-24", "n": 3.0}},
		{"array constructor", "[1, 'two', null, true]", []any{1.0, "two", nil, true}},
		{"nested array kept", "[[1, 2]]", []any{[]any{1.0, 2.0}}},
		{"range operator", "[1..3]", []any{1.0, 2.0, 3.0}},
		{"block with local variable", "($x := 2; $x * $count)", 6.0},
		{"lambda", "$map([1, 2], function($v) { $v * 10 })", []any{10.0, 20.0}},
		{"string functions", "$uppercase($substringBefore('snap-shot', '-'))", "SNAP"},
		{"json null input field", "$states.input.nothing", nil},
		{"null literal", "null", nil},
		{"missing field is undefined", "$states.input.missing", undef},
		{"unbound variable is undefined", "$nope", undef},
		{"empty filter is undefined", "$states.input.items[n > 5]", undef},
		{"exists on undefined", "$exists($states.input.missing)", false},
		{"exists on null", "$exists($states.input.nothing)", true},
		{"large integer from input", "$states.input.bytes", 5497558138880.0},
		{"large integer arithmetic", "$states.input.bytes * 2", 10995116277760.0},
		{"large integer literal", "5497558138880", 5497558138880.0},
		{"2^53 survives", "$states.input.max", 9007199254740992.0},
		{"large integer to string", "$string($states.input.bytes)", "5497558138880"},
		{"non-ASCII field", "$states.input.city", "東京 🌍"},
		{"non-ASCII in expression", "'héllo ' & $states.input.name", "héllo Zoë"},
		{"length counts code points", "$length($states.input.city)", 4.0},
		{"encodeUrlComponent", "$encodeUrlComponent('a%b+c/é')", "a%25b%2Bc%2F%C3%A9"},
		{"fromMillis picture", "$fromMillis($toMillis('2026-11-24T03:04:58.145Z'), '[Y0001][M01][D01]T[H01][m01][s01]Z')", "20261124T030458Z"},
		{"toMillis", "$toMillis('2026-11-24T03:04:58.145Z')", 1795489498145.0},
		{"string of object", "$string({'a': [1, 'é']})", `{"a":[1,"é"]}`},
		{"html characters", "'<a href=\"x\">&amp;</a>'", `<a href="x">&amp;</a>`},
		{"newline in string", "'line1\\nline2'", "line1\nline2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, u, err := shared.Eval(tt.give, nil, bindings)
			if err != nil {
				t.Fatalf("%s: %v", tt.give, err)
			}
			checkValue(t, tt.give, got, u, tt.want)
		})
	}
}

func TestEvalInputDocument(t *testing.T) {
	tests := []struct {
		name  string
		give  string
		input any
		want  any
	}{
		{"root path", "$.a", map[string]any{"a": 1.0}, 1.0},
		{"bare field", "a.b", map[string]any{"a": map[string]any{"b": "x"}}, "x"},
		{"$$ is the root", "$$.a", map[string]any{"a": 1.0}, 1.0},
		{"array input", "$count($)", []any{1.0, 2.0, 3.0}, 3.0},
		{"nil input is JSON null", "$ = null", nil, true},
		{"Go int is encoded", "$ + 1", 41, 42.0},
		{"Go struct is encoded", "$.Name", struct{ Name string }{"s"}, "s"},
		{"Go large int64", "$", int64(5497558138880), 5497558138880.0},
		{"whole input back", "$", map[string]any{"k": []any{nil, "é"}}, map[string]any{"k": []any{nil, "é"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, u, err := shared.Eval(tt.give, tt.input, nil)
			if err != nil {
				t.Fatalf("%s: %v", tt.give, err)
			}
			checkValue(t, tt.give, got, u, tt.want)
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		name     string
		give     string
		wantCode string
		wantMsg  string // substring of the message
	}{
		{"type error", "1 + 'a'", "T2002", `The right side of the "+" operator must evaluate to a number`},
		{"syntax error", "1 +", "S0207", "Unexpected end of expression"},
		{"unbalanced", "foo(", "S0203", `Expected ")" before end of expression`},
		{"bad token", "1 2", "S0201", "Syntax error"},
		{"cast", "$number('x')", "D3030", "Unable to cast value to a number"},
		{"invoke non-function", "$nope()", "T1006", "Attempted to invoke a non-function"},
		{"signature", "$uppercase(1)", "T0410", "Argument 1 of function \"uppercase\" does not match function signature"},
		{"function result", "$uppercase", CodeNotJSON, "the result is a function"},
		{"lambda result", "function($x) { $x }", CodeNotJSON, "the result is a function"},
		{"regex result", "/ab+/", CodeNotJSON, "the result is a function"},
		{"nested function", "{'a': [1, $string]}", CodeNotJSON, "the result at a[1] is a function"},
		{"infinity", "$sum([1e308, 1e308])", CodeNotJSON, "the result is Infinity"},
		{"nested infinity", "{'big': $sum([1e308, 1e308])}", CodeNotJSON, "the result at big is Infinity"},
		{"deep recursion stops", "($f := function($x) { 1 + $f($x) }; $f(1))", "D1011", "Stack overflow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, u, err := shared.Eval(tt.give, nil, nil)
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("%s = %#v (undefined %v), %v; want *Error %s", tt.give, got, u, err, tt.wantCode)
			}
			if je.Code != tt.wantCode || !strings.Contains(je.Message, tt.wantMsg) {
				t.Errorf("%s: got %s %q, want %s containing %q", tt.give, je.Code, je.Message, tt.wantCode, tt.wantMsg)
			}
			if !strings.Contains(err.Error(), je.Code) {
				t.Errorf("Error() = %q does not name the code", err.Error())
			}
		})
	}
}

func TestErrorPosition(t *testing.T) {
	_, _, err := shared.Eval("1 + 'a'", nil, nil)
	var je *Error
	if !errors.As(err, &je) {
		t.Fatalf("got %v, want *Error", err)
	}
	if je.Position != 3 {
		t.Errorf("position = %d, want 3", je.Position)
	}
	if want := `jsonata T2002 at position 3: The right side of the "+" operator must evaluate to a number`; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func hexSum(algo string, s string) string {
	switch algo {
	case "MD5":
		h := md5.Sum([]byte(s)) //nolint:gosec // checking $hash's MD5 output, not securing anything
		return hex.EncodeToString(h[:])
	case "SHA-1":
		h := sha1.Sum([]byte(s)) //nolint:gosec // checking $hash's SHA-1 output, not securing anything
		return hex.EncodeToString(h[:])
	case "SHA-256":
		h := sha256.Sum256([]byte(s))
		return hex.EncodeToString(h[:])
	case "SHA-384":
		h := sha512.Sum384([]byte(s))
		return hex.EncodeToString(h[:])
	case "SHA-512":
		h := sha512.Sum512([]byte(s))
		return hex.EncodeToString(h[:])
	}
	panic(algo)
}

func TestStepFunctionsFunctions(t *testing.T) {
	long := strings.Repeat("é", 10000)
	bindings := map[string]any{
		"chunkSize": 2.0,
		"long":      long,
		"tooLong":   long + "x",
		"algo":      "SHA-256",
		"json":      `{"a":[1,2,{"b":null}],"s":"é"}`,
	}
	tests := []struct {
		name     string
		give     string
		want     any
		wantCode string // when set, an error with this code is wanted
	}{
		// $partition(array, chunkSize)
		{"partition", "$partition([1,2,3,4,5], 2)", []any{[]any{1.0, 2.0}, []any{3.0, 4.0}, []any{5.0}}, ""},
		{"partition exact", "$partition([1,2,3,4], $chunkSize)", []any{[]any{1.0, 2.0}, []any{3.0, 4.0}}, ""},
		{"partition docs example", "$partition([1,2,3,4,5,6,7,8,9], 4)", []any{[]any{1.0, 2.0, 3.0, 4.0}, []any{5.0, 6.0, 7.0, 8.0}, []any{9.0}}, ""},
		{"partition chunk larger than array", "$partition([1,2,3], 10)", []any{[]any{1.0, 2.0, 3.0}}, ""},
		{"partition chunk of one", "$partition(['a','b'], 1)", []any{[]any{"a"}, []any{"b"}}, ""},
		{"partition objects", "$partition([{'a':1},{'b':2}], 1)", []any{[]any{map[string]any{"a": 1.0}}, []any{map[string]any{"b": 2.0}}}, ""},
		{"partition empty array", "$partition([], 3)", []any{}, ""},
		{"partition non-integer size rounds down", "$partition([1,2,3], 2.9)", []any{[]any{1.0, 2.0}, []any{3.0}}, ""},
		{"partition singleton value", "$partition('x', 2)", []any{[]any{"x"}}, ""},
		{"partition undefined array", "$partition($nope, 2)", undef, ""},
		{"partition size zero", "$partition([1,2], 0)", nil, CodeInvalidArgument},
		{"partition size rounds down to zero", "$partition([1,2], 0.5)", nil, CodeInvalidArgument},
		{"partition negative size", "$partition([1,2], -2)", nil, CodeInvalidArgument},
		{"partition undefined size", "$partition([1,2], $nope)", nil, CodeInvalidArgument},
		{"partition missing size", "$partition([1,2])", nil, "T0410"},
		{"partition string size", "$partition([1,2], '2')", nil, "T0410"},

		// $range(start, end, step)
		{"range docs example", "$range(0, 10, 2)", []any{0.0, 2.0, 4.0, 6.0, 8.0, 10.0}, ""},
		{"range end not hit", "$range(0, 10, 3)", []any{0.0, 3.0, 6.0, 9.0}, ""},
		{"range intrinsic example", "$range(1, 9, 2)", []any{1.0, 3.0, 5.0, 7.0, 9.0}, ""},
		{"range negative step", "$range(5, 1, -2)", []any{5.0, 3.0, 1.0}, ""},
		{"range negative numbers", "$range(-3, -1, 1)", []any{-3.0, -2.0, -1.0}, ""},
		// A one-element range is unwrapped, as AWS returns $range(1, 9, 9).
		{"range single element", "$range(4, 4, 1)", 4.0, ""},
		{"range single element kept in an array", "[$range(1, 9, 9)]", []any{1.0}, ""},
		{"range step away from end", "$range(5, 1, 1)", []any{}, ""},
		{"range non-integers round down", "$range(0.9, 4.5, 1.7)", []any{0.0, 1.0, 2.0, 3.0, 4.0}, ""},
		{"range 1000 elements", "$count($range(1, 1000, 1))", 1000.0, ""},
		{"range 1001 elements", "$range(0, 1000, 1)", nil, CodeInvalidArgument},
		{"range zero step", "$range(0, 10, 0)", nil, CodeInvalidArgument},
		{"range step rounds down to zero", "$range(0, 10, 0.5)", nil, CodeInvalidArgument},
		{"range missing step", "$range(0, 10)", nil, "T0410"},
		{"range undefined start", "$range($nope, 10, 1)", nil, CodeInvalidArgument},
		{"range string argument", "$range('0', 10, 1)", nil, "T0410"},

		// $hash(value, algorithm)
		{"hash MD5", "$hash('input data', 'MD5')", hexSum("MD5", "input data"), ""},
		{"hash SHA-1", "$hash('input data', 'SHA-1')", hexSum("SHA-1", "input data"), ""},
		{"hash SHA-256", "$hash('hello', 'SHA-256')", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", ""},
		{"hash SHA-384", "$hash('input data', 'SHA-384')", hexSum("SHA-384", "input data"), ""},
		{"hash SHA-512", "$hash('input data', 'SHA-512')", hexSum("SHA-512", "input data"), ""},
		{"hash algorithm from variable", "$hash('x', $algo)", hexSum("SHA-256", "x"), ""},
		{"hash hashes UTF-8", "$hash('é🌍', 'MD5')", hexSum("MD5", "é🌍"), ""},
		{"hash empty string", "$hash('', 'SHA-1')", hexSum("SHA-1", ""), ""},
		{"hash 10000 characters", "$hash($long, 'SHA-256')", hexSum("SHA-256", long), ""},
		{"hash 10001 characters", "$hash($tooLong, 'SHA-256')", nil, CodeInvalidArgument},
		{"hash undefined value", "$hash($nope, 'MD5')", undef, ""},
		{"hash unknown algorithm", "$hash('x', 'SHA-224')", nil, CodeInvalidArgument},
		{"hash algorithm is case-sensitive", "$hash('x', 'sha-256')", nil, CodeInvalidArgument},
		{"hash no default algorithm", "$hash('x')", nil, "T0410"},
		{"hash number value", "$hash(1, 'MD5')", nil, "T0410"},

		// $random() and $random(seed)
		{"random in [0,1)", "$count([1..200].$random()[$ >= 0 and $ < 1])", 200.0, ""},
		{"random varies", "$count($distinct([1..50].$random())) > 40", true, ""},
		{"random seeded is repeatable", "$random(7) = $random(7)", true, ""},
		{"random seeded in [0,1)", "$count([1..200].$random($)[$ >= 0 and $ < 1])", 200.0, ""},
		{"random different seeds differ", "$random(1) != $random(2)", true, ""},
		{"random seed as java.util.Random", "$random(42)", 0.7275636800328681, ""},
		{"random seed 0", "$random(0)", 0.730967787376657, ""},
		{"random seed 1", "$random(1)", 0.7308781907032909, ""},
		{"random negative seed", "$random(-5) = $random(-5) and $random(-5) >= 0 and $random(-5) < 1", true, ""},
		{"random seed rounds down", "$random(42.9) = $random(42)", true, ""},
		{"random undefined seed is unseeded", "$random($nope) < 1", true, ""},
		{"random string seed", "$random('42')", nil, "T0410"},

		// $uuid()
		{"uuid v4", "$contains($uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)", true, ""},
		{"uuid unique", "$count($distinct([1..100].$uuid()))", 100.0, ""},
		{"uuid takes no arguments", "$uuid(1)", nil, "T0410"},

		// $parse(jsonString)
		{"parse object", "$parse($json)", map[string]any{"a": []any{1.0, 2.0, map[string]any{"b": nil}}, "s": "é"}, ""},
		{"parse then path", "$parse($json).a[2]", map[string]any{"b": nil}, ""},
		{"parse array", "$parse('[1,\"x\"]')", []any{1.0, "x"}, ""},
		{"parse string", "$parse('\"s\"')", "s", ""},
		{"parse number", "$parse('5497558138880')", 5497558138880.0, ""},
		{"parse null", "$parse('null')", nil, ""},
		{"parse undefined", "$parse($nope)", undef, ""},
		{"parse invalid", "$parse('{a:1}')", nil, CodeInvalidJSON},
		{"parse empty string", "$parse('')", nil, CodeInvalidJSON},
		{"parse number argument", "$parse(1)", nil, "T0410"},

		// $eval is not supported
		{"eval refused", "$eval('1 + 1')", nil, CodeEvalUnsupported},
		{"eval refused with context", "$eval('a', {'a': 1})", nil, CodeEvalUnsupported},
		{"eval refused inside lambda", "$map([1], function($v) { $eval('$v') })", nil, CodeEvalUnsupported},
		{"eval refused through variable", "($e := $eval; $e('1'))", nil, CodeEvalUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, u, err := shared.Eval(tt.give, nil, bindings)
			if tt.wantCode != "" {
				var je *Error
				if !errors.As(err, &je) || je.Code != tt.wantCode {
					t.Fatalf("%s = %#v, %v; want error %s", tt.give, got, err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.give, err)
			}
			checkValue(t, tt.give, got, u, tt.want)
		})
	}
}

func TestEvalManyOrderAndErrors(t *testing.T) {
	reqs := []Request{
		{Expr: "$states.input.a", Bindings: states(map[string]any{"a": 1.0})},
		{Expr: "1 +"},
		{Expr: "$states.input.missing", Bindings: states(map[string]any{})},
		{Expr: "null"},
		{Expr: "$.x & $y", Input: map[string]any{"x": "é"}, Bindings: map[string]any{"y": "!"}},
		{Expr: "$eval('1')"},
	}
	res, err := shared.EvalMany(reqs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{
		{Value: 1.0},
		{Err: &Error{Code: "S0207", Message: "Unexpected end of expression", Position: 3}},
		{Undefined: true},
		{Value: nil},
		{Value: "é!"},
		{Err: &Error{Code: CodeEvalUnsupported, Message: "$eval is not supported by AWS Step Functions: use $parse to deserialize JSON", Position: 6}},
	}
	if !reflect.DeepEqual(res, want) {
		for i := range want {
			t.Errorf("result %d = %+v (err %+v), want %+v (err %+v)", i, res[i], res[i].Err, want[i], want[i].Err)
		}
	}
	if res, err := shared.EvalMany(nil); res != nil || err != nil {
		t.Errorf("EvalMany(nil) = %v, %v; want nil, nil", res, err)
	}
}

// GIVEN several expressions sharing one input and bindings
// WHEN they are sent as one Exprs request
// THEN each has its own result, in order, an error or undefined in one
// leaving the others' values intact.
func TestEvalManyExprs(t *testing.T) {
	bind := states(map[string]any{"a": 2.0, "s": "x/y z"})
	res, err := shared.EvalMany([]Request{
		{Exprs: []string{"$states.input.a * 3", "$states.input.missing", "$states.input.a +", "$replace($encodeUrlComponent($states.input.s), '%2F', '/')"}, Bindings: bind},
		{Expr: "$states.input.a", Bindings: bind},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{
		{Each: []Result{
			{Value: 6.0},
			{Undefined: true},
			{Err: &Error{Code: "S0207", Message: "Unexpected end of expression", Position: 17}},
			{Value: "x/y%20z"},
		}},
		{Value: 2.0},
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("EvalMany = %+v, want %+v", res, want)
	}
	if _, err := shared.EvalMany([]Request{{Expr: "1", Exprs: []string{"2"}}}); err == nil || !strings.Contains(err.Error(), "sets Exprs together with Expr") {
		t.Errorf("Expr and Exprs together: err = %v", err)
	}
}

func TestParseOnly(t *testing.T) {
	res, err := shared.EvalMany([]Request{
		{Expr: "phone", ParseOnly: true},
		{Expr: "a[1,2)", ParseOnly: true},
		{Expr: "$states.input.a", Bindings: states(map[string]any{"a": 2.0})},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantAST := map[string]any{"type": "path", "steps": []any{map[string]any{"value": "phone", "type": "name", "position": 5.0}}}
	if !reflect.DeepEqual(res[0].AST, wantAST) || res[0].Err != nil {
		t.Errorf("parse phone = %+v, want AST %v", res[0], wantAST)
	}
	if e := res[1].Err; e == nil || e.Code != "S0202" || e.Message != `Expected "]", got ","` || res[1].AST != nil {
		t.Errorf("parse a[1,2) = %+v (err %+v), want S0202", res[1], e)
	}
	if res[2].Value != 2.0 || res[2].AST != nil {
		t.Errorf("evaluation beside parse requests = %+v, want 2", res[2])
	}
}

func TestEncodingErrorIsNotFatal(t *testing.T) {
	_, _, err := shared.Eval("$", map[string]any{"c": make(chan int)}, nil)
	var je *Error
	if err == nil || errors.As(err, &je) {
		t.Fatalf("got %v, want an encoding error", err)
	}
	if v, _, err := shared.Eval("1", nil, nil); err != nil || v != 1.0 {
		t.Fatalf("after an encoding error: %v, %v", v, err)
	}
}

func TestConcurrency(t *testing.T) {
	const goroutines = 32
	const perGoroutine = 200
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < perGoroutine; i++ {
				in := map[string]any{"g": float64(g), "i": float64(i), "s": fmt.Sprintf("é%d", i)}
				if i%4 == 0 {
					res, err := shared.EvalMany([]Request{
						{Expr: "$states.input.g * 1000 + $states.input.i", Bindings: states(in)},
						{Expr: "$states.input.s & '/' & $k", Bindings: map[string]any{"states": map[string]any{"input": in}, "k": float64(g)}},
						{Expr: "$states.input.nope", Bindings: states(in)},
					})
					if err != nil {
						errs <- err
						return
					}
					if res[0].Value != float64(g*1000+i) || res[1].Value != fmt.Sprintf("é%d/%d", i, g) || !res[2].Undefined {
						errs <- fmt.Errorf("goroutine %d call %d: got %+v", g, i, res)
						return
					}
					continue
				}
				v, _, err := shared.Eval("$states.input.g * 1000 + $states.input.i", nil, states(in))
				if err != nil {
					errs <- err
					return
				}
				if v != float64(g*1000+i) {
					errs <- fmt.Errorf("goroutine %d call %d: got %v, want %d", g, i, v, g*1000+i)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCacheEviction(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles 10,100 expressions")
	}
	// More distinct expressions than the Node cache holds (10,000): the oldest
	// are evicted and compiled again when used.
	const n = 10100
	reqs := make([]Request, 0, 100)
	for i := 0; i < n; i += len(reqs) {
		reqs = reqs[:0]
		for j := i; j < i+100 && j < n; j++ {
			reqs = append(reqs, Request{Expr: fmt.Sprintf("%d + $x", j), Bindings: map[string]any{"x": 1.0}})
		}
		res, err := shared.EvalMany(reqs)
		if err != nil {
			t.Fatal(err)
		}
		for k, r := range res {
			if r.Err != nil || r.Value != float64(i+k+1) {
				t.Fatalf("%s = %+v", reqs[k].Expr, r)
			}
		}
	}
	if v, _, err := shared.Eval("0 + $x", nil, map[string]any{"x": 5.0}); err != nil || v != 5.0 {
		t.Fatalf("evicted expression: %v, %v", v, err)
	}
}

func TestClose(t *testing.T) {
	e, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	if v, _, err := e.Eval("1", nil, nil); err != nil || v != 1.0 {
		t.Fatalf("Eval = %v, %v", v, err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, err := e.Eval("1", nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Eval after Close = %v, want ErrClosed", err)
	}
	if _, err := e.EvalMany([]Request{{Expr: "1"}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("EvalMany after Close = %v, want ErrClosed", err)
	}
}

func TestCloseWhileBusy(t *testing.T) {
	e, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	const workers = 8
	var wg sync.WaitGroup
	results := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				v, _, err := e.Eval("$x + 1", nil, map[string]any{"x": float64(i)})
				if err != nil {
					results <- err
					return
				}
				if v != float64(i+1) {
					results <- fmt.Errorf("worker %d: got %v, want %d", w, v, i+1)
					return
				}
			}
		}(w)
	}
	time.Sleep(100 * time.Millisecond)
	closed := make(chan struct{})
	go func() {
		_ = e.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	wg.Wait()
	close(results)
	for err := range results {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("worker ended with %v, want ErrClosed", err)
		}
	}
}

func TestNodeDies(t *testing.T) {
	e, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Close() }()

	// A call in flight when Node dies gets an error, not a hang.
	slow := make(chan error, 1)
	go func() {
		_, _, err := e.Eval("$count([1..10000000].($ * 2))", nil, nil)
		slow <- err
	}()
	time.Sleep(200 * time.Millisecond)
	if err := e.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-slow:
		if err == nil || !strings.Contains(err.Error(), "node process ended") || !strings.Contains(err.Error(), "killed") {
			t.Errorf("pending call: %v, want a node-ended error naming the signal", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pending call did not return after Node died")
	}
	// Later calls fail at once with the same error.
	_, _, err = e.Eval("1", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "node process ended") {
		t.Errorf("later call: %v, want a node-ended error", err)
	}
}

// fakeNode writes an executable script standing in for node and returns its path.
func fakeNode(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-node")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStartFailures(t *testing.T) {
	t.Run("node exits at once: stderr is in the error", func(t *testing.T) {
		t.Setenv("JSII_NODE", fakeNode(t, `echo "fake node: cannot start" >&2; exit 3`))
		_, err := Start()
		if err == nil || !strings.Contains(err.Error(), "fake node: cannot start") || !strings.Contains(err.Error(), "exit status 3") {
			t.Fatalf("Start = %v; want the exit status and stderr", err)
		}
	})
	t.Run("node dies after starting: stderr is in later errors", func(t *testing.T) {
		// Runs the real bridge behind a FIFO: the wrapper passes on the
		// handshake, swallows the answer to the first request, then writes
		// to stderr, kills the bridge and exits 1.
		real, err := findNode(mustRoot(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("REAL_NODE", real)
		t.Setenv("FIFO", filepath.Join(t.TempDir(), "out"))
		t.Setenv("JSII_NODE", fakeNode(t, `mkfifo "$FIFO" || exit 2
"$REAL_NODE" "$@" <&0 >"$FIFO" &
pid=$!
exec <"$FIFO"
IFS= read -r l; printf '%s\n' "$l"
IFS= read -r l
echo "bridge: out of memory (simulated)" >&2
kill "$pid"
exit 1`))
		e, err := Start()
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = e.Close() }()
		_, _, err = e.Eval("1", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "bridge: out of memory (simulated)") {
			t.Fatalf("Eval = %v; want Node's stderr in the error", err)
		}
	})
	t.Run("missing node binary", func(t *testing.T) {
		t.Setenv("JSII_NODE", filepath.Join(t.TempDir(), "no-such-node"))
		_, err := Start()
		if err == nil || !strings.Contains(err.Error(), "JSII_NODE") {
			t.Fatalf("Start = %v; want an error naming JSII_NODE", err)
		}
	})
	t.Run("root without jsonata", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("SNAPSHOTLAKE_ROOT", dir)
		_, err := Start()
		if err == nil || !strings.Contains(err.Error(), "node_modules/jsonata not found in SNAPSHOTLAKE_ROOT="+dir) || !strings.Contains(err.Error(), "npm ci") {
			t.Fatalf("Start = %v", err)
		}
	})
	t.Run("no root above the working directory", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("SNAPSHOTLAKE_ROOT", "")
		t.Chdir(dir)
		_, err := Start()
		if err == nil || !strings.Contains(err.Error(), "jsonata: node_modules/jsonata not found above "+dir) || !strings.Contains(err.Error(), "run `npm ci` at the project root") {
			t.Fatalf("Start = %v", err)
		}
	})
	t.Run("explicit root", func(t *testing.T) {
		root := mustRoot(t)
		t.Setenv("SNAPSHOTLAKE_ROOT", root)
		t.Chdir(t.TempDir())
		e, err := Start()
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = e.Close() }()
		if v, _, err := e.Eval("$hash('a', 'MD5')", nil, nil); err != nil || v != hexSum("MD5", "a") {
			t.Fatalf("Eval = %v, %v", v, err)
		}
	})
}

func mustRoot(t *testing.T) string {
	t.Helper()
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestMeasure times the transport. Run it with
//
//	go test ./simulator/jsonata/ -run TestMeasure -v
func TestMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	const n = 20000
	expr := "$states.input.bytes * 2"
	b := states(map[string]any{"bytes": 5497558138880.0, "key": "exports/é/part-0001.parquet"})

	// Warm up: JIT and the expression cache.
	for i := 0; i < 2000; i++ {
		if _, _, err := shared.Eval(expr, nil, b); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	for i := 0; i < n; i++ {
		if _, _, err := shared.Eval(expr, nil, b); err != nil {
			t.Fatal(err)
		}
	}
	seq := time.Since(start)

	batch := make([]Request, 10)
	for i := range batch {
		batch[i] = Request{Expr: expr, Bindings: b}
	}
	start = time.Now()
	for i := 0; i < n/10; i++ {
		if _, err := shared.EvalMany(batch); err != nil {
			t.Fatal(err)
		}
	}
	many := time.Since(start)

	const workers = 8
	start = time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/workers; i++ {
				if _, _, err := shared.Eval(expr, nil, b); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	par := time.Since(start)

	// The alternative design, one round trip at a time under a mutex, is
	// what the same 8 goroutines get when they take turns.
	var mu sync.Mutex
	start = time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/workers; i++ {
				mu.Lock()
				_, _, err := shared.Eval(expr, nil, b)
				mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	serial := time.Since(start)

	per := func(d time.Duration) string { return fmt.Sprintf("%.1f µs/eval", float64(d.Microseconds())/n) }
	t.Logf("%d sequential Eval:                      %v (%s)", n, seq.Round(time.Millisecond), per(seq))
	t.Logf("%d in EvalMany batches of 10:            %v (%s)", n, many.Round(time.Millisecond), per(many))
	t.Logf("%d Eval from %d goroutines:               %v (%s)", n, workers, par.Round(time.Millisecond), per(par))
	t.Logf("%d Eval from %d goroutines, one at a time: %v (%s)", n, workers, serial.Round(time.Millisecond), per(serial))
}

func BenchmarkEval(b *testing.B) {
	bind := states(map[string]any{"bytes": 5497558138880.0})
	for b.Loop() {
		if _, _, err := shared.Eval("$states.input.bytes * 2", nil, bind); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalManyBatch10(b *testing.B) {
	bind := states(map[string]any{"bytes": 5497558138880.0})
	batch := make([]Request, 10)
	for i := range batch {
		batch[i] = Request{Expr: "$states.input.bytes * 2", Bindings: bind}
	}
	for b.Loop() {
		if _, err := shared.EvalMany(batch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalParallel(b *testing.B) {
	bind := states(map[string]any{"bytes": 5497558138880.0})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := shared.Eval("$states.input.bytes * 2", nil, bind); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
