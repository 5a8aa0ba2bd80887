package rdsfake

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
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

// valueOf converts v to the Go value of the column's physical type: string,
// bool, int64, int32, float32 or float64.
func valueOf(c column, v any) (any, error) {
	k, err := kindOf(v)
	if err != nil {
		return nil, err
	}
	switch {
	case c.typ == TypeString && k == TypeString:
		return v.(string), nil
	case c.typ == TypeBool && k == TypeBool:
		return v.(bool), nil
	case c.typ == TypeInt64 && k == TypeInt64:
		return int64(toFloat(v)), nil
	case (c.typ == TypeInt32 || c.typ == TypeInt16) && k == TypeInt64:
		n := toFloat(v)
		if n < math.MinInt32 || n > math.MaxInt32 || (c.typ == TypeInt16 && (n < math.MinInt16 || n > math.MaxInt16)) {
			return nil, fmt.Errorf("column %s of type %s cannot hold %v", c.name, c.typ, v)
		}
		return int32(n), nil
	case c.typ == TypeFloat32 && (k == TypeInt64 || k == TypeFloat64):
		return float32(toFloat(v)), nil
	case c.typ == TypeFloat64 && (k == TypeInt64 || k == TypeFloat64):
		return toFloat(v), nil
	}
	return nil, fmt.Errorf("column %s of type %s cannot hold %T %v", c.name, c.typ, v, v)
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

// Parquet's enums and codes (parquet-format's parquet.thrift,
// https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift).
const (
	parquetBoolean   = 0 // Type
	parquetInt32     = 1
	parquetInt64     = 2
	parquetFloat     = 4
	parquetDouble    = 5
	parquetByteArray = 6

	parquetRequired = 0 // FieldRepetitionType
	parquetOptional = 1

	convertedUTF8  = 0 // ConvertedType
	convertedInt16 = 16

	encodingPlain = 0 // Encoding
	encodingRLE   = 3

	codecGzip = 2 // CompressionCodec

	pageData = 0 // PageType
)

// physicalType is the Parquet type a column is stored as.
var physicalType = map[ColumnType]int32{
	TypeString: parquetByteArray, TypeInt64: parquetInt64, TypeFloat64: parquetDouble, TypeBool: parquetBoolean,
	TypeInt32: parquetInt32, TypeInt16: parquetInt32, TypeFloat32: parquetFloat,
}

// writeParquet writes t as a Parquet file as RDS exports do, GZIP-compressed:
// one row group, one PLAIN-encoded version-1 data page per column, the
// definition levels of optional columns RLE-encoded, and no statistics. The
// tests read it back with parquet-go and DuckDB; this writer exists so that
// the simulator does not compile a general Parquet library (with every
// codec and protobuf) for a few demo tables.
func writeParquet(w io.Writer, t Table) error {
	cols, err := columnsOf(t)
	if err != nil {
		return err
	}
	if len(t.Rows) > math.MaxInt32 {
		return fmt.Errorf("table %s: %d rows do not fit in one Parquet page", t.Table, len(t.Rows))
	}
	schema := thriftList{thriftStruct{{4, thriftBinary(t.Table)}, {5, thriftI32(len(cols))}}}
	for _, c := range cols {
		if _, ok := physicalType[c.typ]; !ok {
			return fmt.Errorf("table %s column %s: unknown type %q", t.Table, c.name, c.typ)
		}
		schema = append(schema, schemaElement(c))
	}
	file := []byte("PAR1")
	var chunks thriftList
	var groupBytes int64
	for _, c := range cols {
		page, err := encodePage(c, t)
		if err != nil {
			return err
		}
		var packed bytes.Buffer
		zw := gzip.NewWriter(&packed)
		if _, err := zw.Write(page); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if packed.Len() > math.MaxInt32 || len(page) > math.MaxInt32 {
			return fmt.Errorf("table %s column %s: %d bytes do not fit in one Parquet page", t.Table, c.name, len(page))
		}
		levels := thriftI32(encodingRLE)
		header := appendThrift(nil, thriftStruct{
			{1, thriftI32(pageData)},
			{2, thriftI32(len(page))},
			{3, thriftI32(packed.Len())},
			{5, thriftStruct{{1, thriftI32(len(t.Rows))}, {2, thriftI32(encodingPlain)}, {3, levels}, {4, levels}}},
		})
		offset := thriftI64(len(file))
		file = append(append(file, header...), packed.Bytes()...)
		uncompressed := int64(len(header) + len(page))
		groupBytes += uncompressed
		chunks = append(chunks, thriftStruct{
			// file_offset: deprecated, 0 when no ColumnMetaData is written
			// outside the footer (parquet.thrift).
			{2, thriftI64(0)},
			{3, thriftStruct{
				{1, thriftI32(physicalType[c.typ])},
				{2, thriftList{thriftI32(encodingPlain), thriftI32(encodingRLE)}},
				{3, thriftList{thriftBinary(c.name)}},
				{4, thriftI32(codecGzip)},
				{5, thriftI64(len(t.Rows))},
				{6, thriftI64(uncompressed)},
				{7, thriftI64(len(header) + packed.Len())},
				{9, offset},
			}},
		})
	}
	var groups thriftList
	if len(t.Rows) > 0 {
		groups = thriftList{thriftStruct{{1, chunks}, {2, thriftI64(groupBytes)}, {3, thriftI64(len(t.Rows))}}}
	}
	footer := appendThrift(nil, thriftStruct{
		{1, thriftI32(1)},
		{2, schema},
		{3, thriftI64(len(t.Rows))},
		{4, groups},
		// created_by in parquet.thrift's "<application> version <version> (build <hash>)" form
		{6, thriftBinary("snapshotlake-rdsfake version 0.1.0 (build local)")},
	})
	if file, err = appendLength(append(file, footer...), len(footer)); err != nil {
		return err
	}
	_, err = w.Write(append(file, "PAR1"...))
	return err
}

// schemaElement describes a leaf column, with the converted (legacy) and
// logical annotations readers look for.
func schemaElement(c column) thriftStruct {
	repetition := thriftI32(parquetRequired)
	if c.optional {
		repetition = parquetOptional
	}
	e := thriftStruct{{1, thriftI32(physicalType[c.typ])}, {3, repetition}, {4, thriftBinary(c.name)}}
	switch c.typ {
	case TypeString:
		e = append(e, thriftField{6, thriftI32(convertedUTF8)}, thriftField{10, thriftStruct{{1, thriftStruct{}}}})
	case TypeInt16:
		e = append(e, thriftField{6, thriftI32(convertedInt16)},
			thriftField{10, thriftStruct{{10, thriftStruct{{1, thriftByte(16)}, {2, thriftBool(true)}}}}})
	}
	return e
}

// encodePage is a data page's uncompressed body: for an optional column its
// definition levels (length-prefixed RLE runs of bit width 1), then the
// non-null values, PLAIN-encoded.
func encodePage(c column, t Table) ([]byte, error) {
	var page, values []byte
	var levels []byte
	run, runLevel := 0, byte(0)
	flush := func() {
		if run > 0 {
			levels = append(binary.AppendUvarint(levels, uint64(run)<<1), runLevel)
		}
	}
	var bits []bool
	for _, r := range t.Rows {
		level := byte(0)
		if v := r[c.name]; v != nil {
			level = 1
			pv, err := valueOf(c, v)
			if err != nil {
				return nil, fmt.Errorf("table %s: %w", t.Table, err)
			}
			switch x := pv.(type) {
			case string:
				if values, err = appendLength(values, len(x)); err != nil {
					return nil, fmt.Errorf("table %s column %s: %w", t.Table, c.name, err)
				}
				values = append(values, x...)
			case bool:
				bits = append(bits, x)
			default: // int32, int64, float32, float64: little-endian, IEEE 754 for floats
				values, _ = binary.Append(values, binary.LittleEndian, x)
			}
		}
		if level != runLevel {
			flush()
			run, runLevel = 0, level
		}
		run++
	}
	flush()
	// PLAIN booleans are bit-packed, least significant bit first.
	for i, b := range bits {
		if i%8 == 0 {
			values = append(values, 0)
		}
		if b {
			values[len(values)-1] |= 1 << (i % 8)
		}
	}
	if c.optional {
		var err error
		if page, err = appendLength(page, len(levels)); err != nil {
			return nil, err
		}
		page = append(page, levels...)
	}
	return append(page, values...), nil
}

// appendLength appends n as the four-byte little-endian length Parquet
// puts before a string and before definition levels.
func appendLength(b []byte, n int) ([]byte, error) {
	if n < 0 || n > math.MaxInt32 {
		return nil, fmt.Errorf("length %d does not fit in a Parquet length", n)
	}
	return binary.LittleEndian.AppendUint32(b, uint32(n)), nil
}
