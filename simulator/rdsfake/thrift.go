package rdsfake

import "encoding/binary"

// The Thrift compact protocol, as far as Parquet's footer and page headers
// need it (https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md):
// a struct is a list of fields, each headed by its id delta and type, and
// ends with a stop byte; integers are zigzag varints.

// A thriftValue is one Thrift value; thriftType is its compact type id.
type thriftValue interface{ thriftType() byte }

// thriftI32 and thriftI64 differ only in their type id (both are zigzag
// varints); the Parquet writer checks that what it stores as i32 fits.
type (
	thriftI32    int64
	thriftI64    int64
	thriftByte   uint8
	thriftBool   bool
	thriftBinary string
	// thriftStruct's fields are in increasing id order.
	thriftStruct []thriftField
	// thriftList's elements all have one type.
	thriftList []thriftValue
)

type thriftField struct {
	id    int16
	value thriftValue
}

// Compact type ids.
const (
	compactTrue   = 1
	compactFalse  = 2
	compactByte   = 3
	compactI32    = 5
	compactI64    = 6
	compactBinary = 8
	compactList   = 9
	compactStruct = 12
)

func (thriftI32) thriftType() byte    { return compactI32 }
func (thriftI64) thriftType() byte    { return compactI64 }
func (thriftByte) thriftType() byte   { return compactByte }
func (thriftBinary) thriftType() byte { return compactBinary }
func (thriftStruct) thriftType() byte { return compactStruct }
func (thriftList) thriftType() byte   { return compactList }

// A bool field carries its value in its type id and has no value bytes.
func (b thriftBool) thriftType() byte {
	if b {
		return compactTrue
	}
	return compactFalse
}

// appendThrift appends v in the compact protocol.
func appendThrift(b []byte, v thriftValue) []byte {
	switch v := v.(type) {
	case thriftI32:
		return binary.AppendVarint(b, int64(v))
	case thriftI64:
		return binary.AppendVarint(b, int64(v))
	case thriftByte:
		return append(b, byte(v))
	case thriftBinary:
		return append(binary.AppendUvarint(b, uint64(len(v))), v...)
	case thriftList:
		elem := byte(compactStruct)
		if len(v) > 0 {
			elem = v[0].thriftType()
			if elem == compactTrue || elem == compactFalse {
				panic("thrift: lists of booleans are not written") // Parquet's footer has none
			}
		}
		if n := len(v); n < 15 {
			b = append(b, byte(n<<4)|elem)
		} else {
			b = binary.AppendUvarint(append(b, 0xf0|elem), uint64(len(v)))
		}
		for _, e := range v {
			b = appendThrift(b, e)
		}
		return b
	case thriftStruct:
		last := int16(0)
		for _, f := range v {
			if d := f.id - last; d > 0 && d <= 15 {
				b = append(b, byte(d<<4)|f.value.thriftType())
			} else {
				b = binary.AppendVarint(append(b, f.value.thriftType()), int64(f.id))
			}
			last = f.id
			if _, ok := f.value.(thriftBool); !ok {
				b = appendThrift(b, f.value)
			}
		}
		return append(b, 0) // stop
	}
	panic("unknown thrift value")
}
