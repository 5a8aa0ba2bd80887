package rdsfake

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

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
