package asl

import (
	"encoding/json"
	"testing"
)

// plainSize agrees with encoding/json (SetEscapeHTML(false)) on the values
// that matter: escapes, non-ASCII, invalid UTF-8, U+2028, numbers of every
// magnitude, nesting.
func TestPlainSizeMatchesEncodingJSON(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`{"a":[1,2.5,-0.000001,1e21,123456789012345680000,0.0000001,true,false,null],
	  "k\"ey":"tab\there \u0001 <html> & é 日本 \u2028","n":{"x":[],"y":{}},"big":5497558138880}`), &v); err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	m["bad"] = "\xff\xfe"
	for _, x := range []any{v, m["a"], "", 0.0, 1e-7, -1e300, 4194304.0} {
		b, err := marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := plainSize(x); !ok || n != len(b) {
			t.Errorf("plainSize(%s) = %d, %v; encoding/json writes %d bytes", b, n, ok, len(b))
		}
	}
}
