package jsonata

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// encodingJSON is what AppendJSON must match: encoding/json without HTML
// escaping (single-key objects, so that key order cannot differ).
func encodingJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

type marshaler struct{}

func (marshaler) MarshalJSON() ([]byte, error) { return []byte(`{"pre":"encoded"}`), nil }

func TestAppendJSON_sameAsEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, false, "", "plain", `quote " and \ backslash`, "<html> & 'x'", "\b\f\n\r\t\x00\x1f\x7f",
		"日本語 ü", "bad \xff utf-8", "line\u2028para\u2029", 0.0, math.Copysign(0, -1), 1.0, -2.5, 1e20, 1e21, 1e-6, 1e-7,
		123456789012345678.0, 3.141592653589793, 5e-324, math.MaxFloat64, 42,
		[]any{}, []any{1.0, "a", nil, []any{true}}, map[string]any{}, map[string]any{"k": map[string]any{"n": []any{"x"}}},
		map[string]any{"\n key": 1.0}, marshaler{}, []string{"typed", "slice"}, map[string]int{"typed": 1},
	}
	for _, v := range values {
		got, err := AppendJSON(nil, v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		if want := encodingJSON(t, v); string(got) != want {
			t.Errorf("%#v:\n got %s\nwant %s", v, got, want)
		}
	}
	if _, err := AppendJSON(nil, math.NaN()); err == nil {
		t.Error("NaN encoded")
	}
}

func TestAppendJSON_objectsWithSeveralKeysDecodeTheSame(t *testing.T) {
	v := map[string]any{"a": 1.0, "b": []any{"x", map[string]any{"c": nil, "d": false}}, "e": "f"}
	got, err := AppendJSON(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	var back any
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if encodingJSON(t, back) != encodingJSON(t, v) {
		t.Errorf("decoded %s", got)
	}
}

func TestAppendMessage_sameAsEncodingJSONWithTheWireTags(t *testing.T) {
	msg := wireMessage{ID: 7, R: []wireRequest{
		{X: "$x", I: map[string]any{"k": "v"}},
		{XS: []string{"a", "b"}, I: nil, B: map[string]any{"plan": 1.0}},
		{X: "1 +", I: nil, P: true},
	}}
	got, err := appendMessage(nil, &msg)
	if err != nil {
		t.Fatal(err)
	}
	if want := encodingJSON(t, &msg) + "\n"; string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
