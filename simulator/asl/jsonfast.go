package asl

import (
	"encoding/json"
	"math"
	"unicode/utf8"

	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
)

// The executor measures and re-decodes values many times per state (the
// 256 KiB checks, normalizing task results); these are its fast paths,
// measured with go tool pprof on the 100,000-object run, where
// encoding/json's reflection and map-key sorting were the largest Go cost.

// fastNormalize is normalize with the bridge's encoder and unsorted maps
// (the result is re-decoded, so key order does not matter).
func fastNormalize(v any) (any, int, error) {
	b, err := marshalUnordered(v)
	if err != nil {
		return nil, 0, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, 0, err
	}
	return out, len(b), nil
}

// marshalUnordered encodes v as the JSONata bridge does: unsorted maps, no
// HTML escaping, no trailing newline.
func marshalUnordered(v any) ([]byte, error) {
	return jsonata.AppendJSON(nil, v)
}

// plainSize is the length of v's JSON encoding as encoding/json writes it
// (no HTML escaping), computed without encoding, for plain JSON values;
// ok is false for anything else.
func plainSize(v any) (n int, ok bool) {
	switch x := v.(type) {
	case nil:
		return 4, true
	case bool:
		if x {
			return 4, true
		}
		return 5, true
	case string:
		return stringSize(x), true
	case float64:
		return floatSize(x)
	case []any:
		n = 2 + max(len(x)-1, 0)
		for _, e := range x {
			m, ok := plainSize(e)
			if !ok {
				return 0, false
			}
			n += m
		}
		return n, true
	case map[string]any:
		n = 2 + max(len(x)-1, 0)
		for k, e := range x {
			m, ok := plainSize(e)
			if !ok {
				return 0, false
			}
			n += stringSize(k) + 1 + m
		}
		return n, true
	}
	return 0, false
}

// asciiSize is the encoded length of each ASCII byte in a JSON string, as
// encoding/json escapes it (0 for the bytes of multi-byte runes): a table
// lookup instead of a chain of comparisons, since payload sizes are counted
// for every state's input and output.
var asciiSize = func() (t [256]uint8) {
	for c := range utf8.RuneSelf {
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			t[c] = 2
		case c < 0x20:
			t[c] = 6
		default:
			t[c] = 1
		}
	}
	return t
}()

// stringSize counts a JSON string as encoding/json escapes it.
func stringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		if w := asciiSize[s[i]]; w != 0 {
			n += int(w)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6 // \ufffd
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// floatSize formats f as encoding/json does.
func floatSize(f float64) (int, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	var a [32]byte
	b, err := jsonata.AppendJSON(a[:0], f) // the bridge's float format, encoding/json's
	return len(b), err == nil
}
