package rdsfake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"sort"

	"github.com/parquet-go/parquet-go"
)

// ColumnType is the Parquet type of a column.
type ColumnType string

// Column types written by the fake.
const (
	// TypeString is a BYTE_ARRAY column annotated STRING.
	TypeString ColumnType = "string"
	// TypeInt64 is an INT64 column.
	TypeInt64 ColumnType = "int64"
	// TypeFloat64 is a DOUBLE column.
	TypeFloat64 ColumnType = "float64"
	// TypeBool is a BOOLEAN column.
	TypeBool ColumnType = "bool"
	// TypeInt32 is an INT32 column (PostgreSQL integer, serial).
	TypeInt32 ColumnType = "int32"
	// TypeInt16 is an INT32 column annotated INT(16, signed) (PostgreSQL
	// smallint).
	TypeInt16 ColumnType = "int16"
	// TypeFloat32 is a FLOAT column (PostgreSQL real).
	TypeFloat32 ColumnType = "float32"
)

// exportedType is the expectedExportedType the fake writes for a column
// type (spellings seen in real exports' metadata; unverified against AWS).
var exportedType = map[ColumnType]string{
	TypeString: "binary (UTF8)", TypeInt64: "int64", TypeFloat64: "double", TypeBool: "boolean",
	TypeInt32: "int32", TypeInt16: "int32", TypeFloat32: "float",
}

// Table is one exported table and its rows.
type Table struct {
	Database, Schema, Table string
	// Columns is the column order. Default: the rows' keys, sorted.
	Columns []string
	// Types fixes column types. Default: inferred from the rows — string,
	// bool, int64 when every number is integral, else float64.
	Types map[string]ColumnType
	// OriginalTypes are the columns' database types, written to
	// export_tables_info as originalType (information_schema spelling, e.g.
	// "integer", "character varying"). Default: none written.
	OriginalTypes map[string]string
	// Rows hold string, bool, number (float64, int, int64...) or nil values;
	// a column with a nil or missing value is optional.
	Rows []map[string]any
}

type column struct {
	name     string
	typ      ColumnType
	optional bool
}

// columnsOf resolves the order, types and optionality of t's columns.
func columnsOf(t Table) ([]column, error) {
	names := t.Columns
	if len(names) == 0 {
		seen := map[string]bool{}
		for _, r := range t.Rows {
			for k := range r {
				if !seen[k] {
					seen[k] = true
					names = append(names, k)
				}
			}
		}
		sort.Strings(names)
	}
	for _, r := range t.Rows {
		for k := range r {
			if !slices.Contains(names, k) {
				return nil, fmt.Errorf("table %s: row has column %q not in Columns", t.Table, k)
			}
		}
	}
	cols := make([]column, len(names))
	for i, name := range names {
		c := column{name: name, typ: t.Types[name]}
		var kinds []ColumnType
		for _, r := range t.Rows {
			v := r[name]
			if v == nil {
				c.optional = true
				continue
			}
			k, err := kindOf(v)
			if err != nil {
				return nil, fmt.Errorf("table %s column %s: %w", t.Table, name, err)
			}
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		if c.typ == "" {
			switch {
			case len(kinds) == 0:
				c.typ = TypeString
			case len(kinds) == 1:
				c.typ = kinds[0]
			case len(kinds) == 2 && slices.Contains(kinds, TypeInt64) && slices.Contains(kinds, TypeFloat64):
				c.typ = TypeFloat64
			default:
				return nil, fmt.Errorf("table %s column %s: mixed value kinds %v", t.Table, name, kinds)
			}
		}
		cols[i] = c
	}
	return cols, nil
}

// kindOf classifies a value; an integral number is TypeInt64.
func kindOf(v any) (ColumnType, error) {
	switch x := v.(type) {
	case string:
		return TypeString, nil
	case bool:
		return TypeBool, nil
	case int, int32, int64:
		return TypeInt64, nil
	case float32:
		return kindOf(float64(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return TypeInt64, nil
		}
		return TypeFloat64, nil
	}
	return "", fmt.Errorf("unsupported value %T %v", v, v)
}

// valueOf converts v to a Parquet value of the column's type.
func valueOf(c column, v any) (parquet.Value, error) {
	k, err := kindOf(v)
	if err != nil {
		return parquet.Value{}, err
	}
	switch {
	case c.typ == TypeString && k == TypeString:
		return parquet.ByteArrayValue([]byte(v.(string))), nil
	case c.typ == TypeBool && k == TypeBool:
		return parquet.BooleanValue(v.(bool)), nil
	case c.typ == TypeInt64 && k == TypeInt64:
		return parquet.Int64Value(int64(toFloat(v))), nil
	case (c.typ == TypeInt32 || c.typ == TypeInt16) && k == TypeInt64:
		n := toFloat(v)
		if n < math.MinInt32 || n > math.MaxInt32 || (c.typ == TypeInt16 && (n < math.MinInt16 || n > math.MaxInt16)) {
			return parquet.Value{}, fmt.Errorf("column %s of type %s cannot hold %v", c.name, c.typ, v)
		}
		return parquet.Int32Value(int32(n)), nil
	case c.typ == TypeFloat32 && (k == TypeInt64 || k == TypeFloat64):
		return parquet.FloatValue(float32(toFloat(v))), nil
	case c.typ == TypeFloat64 && (k == TypeInt64 || k == TypeFloat64):
		return parquet.DoubleValue(toFloat(v)), nil
	}
	return parquet.Value{}, fmt.Errorf("column %s of type %s cannot hold %T %v", c.name, c.typ, v, v)
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	}
	return v.(float64)
}

// writeParquet writes t as a GZIP-compressed Parquet file.
func writeParquet(w io.Writer, t Table) error {
	cols, err := columnsOf(t)
	if err != nil {
		return err
	}
	g := orderedGroup{Group: parquet.Group{}}
	for _, c := range cols {
		var n parquet.Node
		switch c.typ {
		case TypeString:
			n = parquet.String()
		case TypeInt64:
			n = parquet.Leaf(parquet.Int64Type)
		case TypeFloat64:
			n = parquet.Leaf(parquet.DoubleType)
		case TypeInt32:
			n = parquet.Leaf(parquet.Int32Type)
		case TypeInt16:
			n = parquet.Int(16)
		case TypeFloat32:
			n = parquet.Leaf(parquet.FloatType)
		case TypeBool:
			n = parquet.Leaf(parquet.BooleanType)
		default:
			return fmt.Errorf("table %s column %s: unknown type %q", t.Table, c.name, c.typ)
		}
		if c.optional {
			n = parquet.Optional(n)
		}
		g.Group[c.name] = n
		g.fields = append(g.fields, &orderedField{Node: n, name: c.name})
	}
	pw := parquet.NewWriter(w, parquet.NewSchema(t.Table, g), parquet.Compression(&parquet.Gzip))
	rows := make([]parquet.Row, 0, len(t.Rows))
	for _, r := range t.Rows {
		row := make(parquet.Row, len(cols))
		for i, c := range cols {
			v := r[c.name]
			if v == nil {
				row[i] = parquet.NullValue().Level(0, 0, i)
				continue
			}
			pv, err := valueOf(c, v)
			if err != nil {
				return fmt.Errorf("table %s: %w", t.Table, err)
			}
			def := 0
			if c.optional {
				def = 1
			}
			row[i] = pv.Level(0, def, i)
		}
		rows = append(rows, row)
	}
	if _, err := pw.WriteRows(rows); err != nil {
		return err
	}
	return pw.Close()
}

// orderedGroup is a parquet.Group whose fields keep the given order
// (parquet.Group sorts them by name).
type orderedGroup struct {
	parquet.Group
	fields []parquet.Field
}

func (g orderedGroup) Fields() []parquet.Field { return g.fields }

type orderedField struct {
	parquet.Node
	name string
}

func (f *orderedField) Name() string { return f.name }

// Value is required by parquet.Field; rows are written as parquet.Row, so
// it only serves reflection-based callers.
func (f *orderedField) Value(base reflect.Value) reflect.Value {
	return base.MapIndex(reflect.ValueOf(f.name))
}

// ReadParquet reads a flat Parquet file: its column names in file order and
// its rows, with int64 (INT32 and INT64), float32 (FLOAT), float64
// (DOUBLE), string, bool or nil values.
func ReadParquet(data []byte) (columns []string, rows []map[string]any, err error) {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, err
	}
	for _, fld := range f.Schema().Fields() {
		if !fld.Leaf() {
			return nil, nil, fmt.Errorf("nested column %s", fld.Name())
		}
		columns = append(columns, fld.Name())
	}
	r := parquet.NewReader(f)
	defer func() { _ = r.Close() }()
	buf := make([]parquet.Row, 64)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			m := make(map[string]any, len(columns))
			for _, v := range row {
				m[columns[v.Column()]] = goValue(v)
			}
			rows = append(rows, m)
		}
		if errors.Is(err, io.EOF) {
			return columns, rows, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
}

func goValue(v parquet.Value) any {
	if v.IsNull() {
		return nil
	}
	switch v.Kind() {
	case parquet.Boolean:
		return v.Boolean()
	case parquet.Int32:
		return int64(v.Int32())
	case parquet.Int64:
		return v.Int64()
	case parquet.Float:
		return v.Float()
	case parquet.Double:
		return v.Double()
	}
	return string(v.ByteArray())
}
