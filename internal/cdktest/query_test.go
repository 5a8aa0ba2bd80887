package cdktest

import (
	"encoding/json"
	"testing"
)

func TestPath(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"Resources": {"B": {"Properties": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}}}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    []any
		want    any
		wantErr string
	}{
		{"member and index", []any{"Resources", "B", "Properties", "Rules", 0, "ObjectOwnership"}, "BucketOwnerEnforced", ""},
		{"no path", nil, doc, ""},
		{"missing member", []any{"Resources", "C"}, nil, `/Resources/C: no member "C"`},
		{"index out of range", []any{"Resources", "B", "Properties", "Rules", 1}, nil, "/Resources/B/Properties/Rules/1: index 1 out of range (1 elements)"},
		{"index into an object", []any{"Resources", 0}, nil, "/Resources/0: /Resources is an object, not an array"},
		{"member of a string", []any{"Resources", "B", "Properties", "Rules", 0, "ObjectOwnership", "x"}, nil,
			"/Resources/B/Properties/Rules/0/ObjectOwnership/x: /Resources/B/Properties/Rules/0/ObjectOwnership is a string, not an object"},
		{"bad step", []any{1.5}, nil, "/1.5: a step must be a string or an int, got float64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN a decoded template WHEN a path is followed
			got, err := Path(doc, tt.path...)
			// THEN it gives the value, or an error naming the step
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.path != nil && got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
