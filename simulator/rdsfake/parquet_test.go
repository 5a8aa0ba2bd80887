package rdsfake

import (
	"bytes"
	"fmt"
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
		{name: "every type, nulls between values, long runs and a long schema",
			give: func() Table {
				tb := Table{Table: "wide", Types: map[string]ColumnType{"i16": TypeInt16, "i32": TypeInt32, "f32": TypeFloat32}}
				for i := range 200 {
					r := map[string]any{"i16": i - 100, "i32": i * 1000, "f32": float64(i) / 4, "b": i%3 == 0, "s": strings.Repeat("x", i%5)}
					for c := range 12 {
						r[fmt.Sprintf("pad%02d", c)] = int64(c)
					}
					if i%70 == 69 {
						r["i16"], r["s"], r["b"] = nil, nil, nil
					}
					tb.Rows = append(tb.Rows, r)
				}
				return tb
			}(),
			wantColumns: "b f32 i16 i32 pad00 pad01 pad02 pad03 pad04 pad05 pad06 pad07 pad08 pad09 pad10 pad11 s",
			wantRows: func() (rows []map[string]any) {
				for i := range 200 {
					r := map[string]any{"i16": int64(i - 100), "i32": int64(i * 1000), "f32": float32(i) / 4, "b": i%3 == 0, "s": strings.Repeat("x", i%5)}
					for c := range 12 {
						r[fmt.Sprintf("pad%02d", c)] = int64(c)
					}
					if i%70 == 69 {
						r["i16"], r["s"], r["b"] = nil, nil, nil
					}
					rows = append(rows, r)
				}
				return rows
			}(),
			wantSchema: []string{"optional boolean b", "required float f32", "optional int32 i16 (INT(16,true))", "required int32 i32", "optional binary s (STRING)"}},
		{name: "no rows", give: Table{Table: "t", Columns: []string{"a"}, Types: map[string]ColumnType{"a": TypeInt64}},
			wantColumns: "a", wantSchema: []string{"required int64 a"}},
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
