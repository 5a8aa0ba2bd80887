package rdsfake

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

func TestParquetRoundTrip(t *testing.T) {
	tests := []struct {
		name        string
		give        Table
		wantColumns string
		wantRows    []map[string]any
		wantSchema  []string // substrings of the printed schema
		wantErr     string
	}{
		{name: "inferred, sorted columns",
			give: Table{Table: "t", Rows: []map[string]any{
				{"s": "a", "i": 1.0, "f": 1.5, "b": true, "n": nil},
				{"s": "日本", "i": float64(-2), "f": 2.0, "b": false},
			}},
			wantColumns: "b f i n s",
			wantRows: []map[string]any{
				{"s": "a", "i": int64(1), "f": 1.5, "b": true, "n": nil},
				{"s": "日本", "i": int64(-2), "f": 2.0, "b": false, "n": nil},
			},
			wantSchema: []string{"required boolean b", "required double f", "required int64 i", "optional binary n (STRING)", "required binary s (STRING)"}},
		{name: "given column order, nulls make optional columns",
			give:        Table{Table: "t", Columns: []string{"z", "a"}, Rows: []map[string]any{{"z": int64(3), "a": "x"}, {"z": nil}}},
			wantColumns: "z a",
			wantRows:    []map[string]any{{"z": int64(3), "a": "x"}, {"z": nil, "a": nil}},
			wantSchema:  []string{"optional int64 z", "optional binary a (STRING)"}},
		{name: "declared type wins",
			give:        Table{Table: "t", Types: map[string]ColumnType{"x": TypeFloat64}, Rows: []map[string]any{{"x": 377930.0}, {"x": 3}}},
			wantColumns: "x", wantRows: []map[string]any{{"x": 377930.0}, {"x": 3.0}}},
		{name: "integral and fractional numbers make float64",
			give:        Table{Table: "t", Rows: []map[string]any{{"x": 1.0}, {"x": 1.25}}},
			wantColumns: "x", wantRows: []map[string]any{{"x": 1.0}, {"x": 1.25}}},
		{name: "mixed kinds", give: Table{Table: "t", Rows: []map[string]any{{"x": 1.0}, {"x": "1"}}}, wantErr: "mixed value kinds"},
		{name: "column not in Columns", give: Table{Table: "t", Columns: []string{"a"}, Rows: []map[string]any{{"b": 1.0}}}, wantErr: `column "b" not in Columns`},
		{name: "value against declared type", give: Table{Table: "t", Types: map[string]ColumnType{"x": TypeInt64}, Rows: []map[string]any{{"x": 1.5}}}, wantErr: "cannot hold"},
		{name: "unsupported value", give: Table{Table: "t", Rows: []map[string]any{{"x": []any{}}}}, wantErr: "unsupported value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := writeParquet(&buf, tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkGzip(t, buf.Bytes())
			cols, rows, err := ReadParquet(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(cols, " ") != tt.wantColumns || !reflect.DeepEqual(rows, tt.wantRows) {
				t.Fatalf("columns %v rows %#v", cols, rows)
			}
			f, _ := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			for _, s := range tt.wantSchema {
				if !strings.Contains(f.Schema().String(), s) {
					t.Errorf("schema lacks %q:\n%s", s, f.Schema())
				}
			}
		})
	}
}

// checkGzip checks that every column chunk is GZIP-compressed.
func checkGzip(t *testing.T, data []byte) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range f.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if c.MetaData.Codec != format.Gzip {
				t.Fatalf("column %v codec %v", c.MetaData.PathInSchema, c.MetaData.Codec)
			}
		}
	}
}

func TestDemoTablesParquet(t *testing.T) {
	for _, tb := range DemoTables() {
		var buf bytes.Buffer
		if err := writeParquet(&buf, tb); err != nil {
			t.Fatal(err)
		}
		cols, rows, err := ReadParquet(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cols, tb.Columns) || !reflect.DeepEqual(rows, tb.Rows) {
			t.Fatalf("%s: read back %v %v", tb.Table, cols, rows)
		}
	}
}
