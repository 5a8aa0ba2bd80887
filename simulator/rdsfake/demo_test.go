package rdsfake

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestDemoTables(t *testing.T) {
	tables := DemoTables()
	byName := map[string]Table{}
	for _, tb := range tables {
		if tb.Database != "postgres" || tb.Schema != "public" {
			t.Fatalf("%s is in %s.%s", tb.Table, tb.Database, tb.Schema)
		}
		byName[tb.Table] = tb
	}
	tests := []struct {
		table    string
		rows     int
		columns  string
		row      int
		want     map[string]any
		wantType map[string]ColumnType
	}{
		{table: "city", rows: 5, columns: "id name countrycode district population", row: 0,
			want:     map[string]any{"id": int64(1), "name": "Tokyo", "countrycode": "JPN", "district": "Kanto", "population": int64(37400068)},
			wantType: map[string]ColumnType{"id": TypeInt32, "countrycode": TypeString, "population": TypeInt32}},
		{table: "city", rows: 5, row: 1, want: map[string]any{"name": "New York", "district": "New York", "population": int64(8175133)}},
		{table: "country", rows: 4,
			columns: "code name continent region surfacearea indepyear population lifeexpectancy gnp gnpold localname governmentform headofstate capital code2",
			row:     1,
			want: map[string]any{"code": "USA", "surfacearea": float32(9833517.0), "indepyear": int64(1776), "lifeexpectancy": float32(78.9),
				"gnp": "21433226.00", "gnpold": nil, "headofstate": "Joe Biden", "capital": int64(2), "code2": "US"},
			// as RDS exports PostgreSQL: real as FLOAT, smallint as INT32 (INT_16), numeric as a string
			wantType: map[string]ColumnType{"surfacearea": TypeFloat32, "indepyear": TypeInt16, "gnp": TypeString, "gnpold": TypeString, "code2": TypeString}},
		{table: "country", rows: 4, row: 3, want: map[string]any{"name": "United Kingdom", "headofstate": "Elizabeth II", "region": "British Isles"}},
		{table: "countrylanguage", rows: 5, columns: "countrycode language isofficial percentage", row: 2,
			want:     map[string]any{"countrycode": "USA", "language": "Spanish", "isofficial": false, "percentage": float32(13.0)},
			wantType: map[string]ColumnType{"isofficial": TypeBool, "percentage": TypeFloat32, "language": TypeString}},
		{table: "countrylanguage", rows: 5, row: 0, want: map[string]any{"isofficial": true, "percentage": float32(99.2)}},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			tb, ok := byName[tt.table]
			if !ok || len(tb.Rows) != tt.rows {
				t.Fatalf("%s: %d rows, want %d", tt.table, len(tb.Rows), tt.rows)
			}
			if tt.columns != "" && strings.Join(tb.Columns, " ") != tt.columns {
				t.Fatalf("columns %v", tb.Columns)
			}
			for k, v := range tt.want {
				if got := tb.Rows[tt.row][k]; !reflect.DeepEqual(got, v) {
					t.Errorf("row %d %s = %#v, want %#v", tt.row, k, got, v)
				}
			}
			for k, v := range tt.wantType {
				if tb.Types[k] != v {
					t.Errorf("type of %s = %s, want %s", k, tb.Types[k], v)
				}
			}
		})
	}
	if len(tables) != 3 {
		t.Fatalf("%d tables", len(tables))
	}
}

// The project's copy must stay the seed's file, when the shared folder is there.
func TestDemoSQLIsTheSharedCopy(t *testing.T) {
	shared, err := os.ReadFile("../../../shared/data/demo.sql")
	if err != nil {
		t.Skip("shared/data/demo.sql not found beside the repository")
	}
	if string(shared) != demoSQL {
		t.Fatal("internal/demodata/demo.sql differs from shared/data/demo.sql")
	}
}

func TestParseSQL(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    []map[string]any
		wantErr string
	}{
		{name: "escapes, negatives, nulls, quoted names, comments",
			give: "-- c\nCREATE TABLE t (\"select\" text, n integer, r real, b boolean, CONSTRAINT c CHECK ((n > 0)));\n" +
				"INSERT INTO t (n, \"select\", r, b) VALUES (-3, 'it''s', -1.5, false), (NULL, NULL, 2, TRUE);",
			want: []map[string]any{
				{"select": "it's", "n": int64(-3), "r": float32(-1.5), "b": false},
				{"select": nil, "n": nil, "r": float32(2), "b": true},
			}},
		{name: "unterminated string", give: "CREATE TABLE t (a text); INSERT INTO t (a) VALUES ('x);", wantErr: "unterminated"},
		{name: "unknown statement", give: "DROP TABLE t;", wantErr: "unsupported statement"},
		{name: "unknown table", give: "INSERT INTO t (a) VALUES (1);", wantErr: "unknown table"},
		{name: "unknown column", give: "CREATE TABLE t (a text); INSERT INTO t (b) VALUES ('x');", wantErr: "unknown column"},
		{name: "value count", give: "CREATE TABLE t (a text); INSERT INTO t (a) VALUES ('x', 'y');", wantErr: "2 values for 1 columns"},
		{name: "type mismatch", give: "CREATE TABLE t (a integer); INSERT INTO t (a) VALUES ('x');", wantErr: "does not fit"},
		{name: "fraction in integer", give: "CREATE TABLE t (a integer); INSERT INTO t (a) VALUES (1.5);", wantErr: "invalid syntax"},
		{name: "unsupported type", give: "CREATE TABLE t (a jsonb);", wantErr: "unsupported type"},
		{name: "missing semicolon", give: "CREATE TABLE t (a text)", wantErr: `expected ";"`},
		{name: "unclosed paren", give: "CREATE TABLE t (a text", wantErr: "unclosed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSQL(tt.give, "db", "s")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got[0].Rows, tt.want) {
				t.Fatalf("rows %#v", got[0].Rows)
			}
		})
	}
}
