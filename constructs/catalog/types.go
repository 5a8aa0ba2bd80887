package catalog

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// TypeMapping is one row of the catalog's type table: the export's column
// types it matches and the Glue (Hive) type the catalog gives them.
type TypeMapping struct {
	// Source is the type as AWS's export documentation names it.
	Source string
	// OriginalTypes are the spellings of originalType matched, lowercase,
	// without length or precision ("numeric(10,2)" matches "numeric").
	OriginalTypes []string
	// Parquet is how RDS writes the type, per AWS.
	Parquet string
	// Glue is the Glue column type.
	Glue string
}

// PostgreSQLTypes maps PostgreSQL column types (export_tables_info
// originalType) to Glue types, following "PostgreSQL data type mapping to
// Parquet" in AWS's RDS user guide (Data conversion when exporting to an
// Amazon S3 bucket, USER_ExportSnapshot.data-types): every type AWS exports
// as a BYTE_ARRAY STRING is a Glue string, whatever it was in the database.
// The originalType spellings include information_schema.columns.data_type's
// ("character varying", "timestamp with time zone", "ARRAY",
// "USER-DEFINED"), which public tools reading real exports match on.
func PostgreSQLTypes() []TypeMapping {
	str := "BYTE_ARRAY (STRING)"
	return []TypeMapping{
		{"BIGINT", []string{"bigint", "int8"}, "INT64", "bigint"},
		{"BIGSERIAL", []string{"bigserial", "serial8"}, "INT64", "bigint"},
		{"DECIMAL, NUMERIC", []string{"decimal", "numeric"}, str, "string"},
		{"DOUBLE PRECISION", []string{"double precision", "float8"}, "DOUBLE", "double"},
		{"INTEGER", []string{"integer", "int", "int4"}, "INT32", "int"},
		{"MONEY", []string{"money"}, str, "string"},
		{"REAL", []string{"real", "float4"}, "FLOAT", "float"},
		{"SERIAL", []string{"serial", "serial4"}, "INT32", "int"},
		{"SMALLINT", []string{"smallint", "int2"}, "INT32 (INT_16)", "smallint"},
		{"SMALLSERIAL", []string{"smallserial", "serial2"}, "INT32 (INT_16)", "smallint"},
		{"ARRAY (any `type[]`)", []string{"array"}, str, "string"},
		{"BIT, BIT VARYING", []string{"bit", "bit varying", "varbit"}, str, "string"},
		{"BYTEA", []string{"bytea"}, "BINARY", "binary"},
		{"CHAR, CHAR(N)", []string{"char", "character", "bpchar"}, str, "string"},
		{"VARCHAR(N)", []string{"varchar", "character varying"}, str, "string"},
		{"ENUM, COMPOSITE, RANGE (USER-DEFINED)", []string{"user-defined"}, str, "string"},
		{"NAME, TEXT", []string{"name", "text"}, str, "string"},
		{"TEXT SEARCH", []string{"tsvector", "tsquery"}, str, "string"},
		{"XML", []string{"xml"}, str, "string"},
		{"DATE, INTERVAL", []string{"date", "interval"}, str, "string"},
		{"TIME, TIME WITH TIME ZONE", []string{"time", "time without time zone", "time with time zone", "timetz"}, str, "string"},
		{"TIMESTAMP, TIMESTAMP WITH TIME ZONE", []string{"timestamp", "timestamp without time zone", "timestamp with time zone", "timestamptz"}, str, "string"},
		{"BOX, CIRCLE, LINE, LINESEGMENT, PATH, POINT, POLYGON", []string{"box", "circle", "line", "lseg", "path", "point", "polygon"}, str, "string"},
		{"JSON, JSONB", []string{"json", "jsonb"}, str, "string"},
		{"BOOLEAN", []string{"boolean", "bool"}, "BOOLEAN", "boolean"},
		{"CIDR, INET, MACADDR", []string{"cidr", "inet", "macaddr", "macaddr8"}, str, "string"},
		{"PG_LSN, UUID", []string{"pg_lsn", "uuid"}, str, "string"},
	}
}

// ExportedTypes maps expectedExportedType, for columns whose originalType
// is missing or not in PostgreSQLTypes (MySQL, MariaDB, types AWS does not
// list). The spellings are those seen in real exports' metadata by public
// tools (int32, int64, double, boolean, "binary (UTF8)"); AWS does not
// document this field's values (unverified).
func ExportedTypes() []TypeMapping {
	return []TypeMapping{
		{"expectedExportedType int32", []string{"int32"}, "INT32", "int"},
		{"expectedExportedType int64", []string{"int64"}, "INT64", "bigint"},
		{"expectedExportedType float", []string{"float"}, "FLOAT", "float"},
		{"expectedExportedType double", []string{"double"}, "DOUBLE", "double"},
		{"expectedExportedType boolean", []string{"boolean"}, "BOOLEAN", "boolean"},
		{"expectedExportedType binary (UTF8)", []string{"binary (utf8)"}, "BYTE_ARRAY (STRING)", "string"},
		{"expectedExportedType binary", []string{"binary"}, "BYTE_ARRAY", "binary"},
	}
}

// typeLookup renders a table as a JSONata object literal: spelling → type.
func typeLookup(rows []TypeMapping) string {
	m := map[string]string{}
	for _, r := range rows {
		for _, k := range r.OriginalTypes {
			if prev, ok := m[k]; ok && prev != r.Glue {
				panic(fmt.Sprintf("catalog: type %q mapped twice", k)) // covered by tests
			}
			m[k] = r.Glue
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(m[k])
		parts[i] = string(kj) + ": " + string(vj)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// TypeTableMarkdown is the README's type table.
func TypeTableMarkdown() string {
	var b strings.Builder
	b.WriteString("| Export column type | Matched on | Parquet (as RDS writes it) | Glue type |\n")
	b.WriteString("| --- | --- | --- | --- |\n")
	for _, r := range PostgreSQLTypes() {
		fmt.Fprintf(&b, "| PostgreSQL %s | originalType `%s` | %s | `%s` |\n", r.Source, strings.Join(r.OriginalTypes, "`, `"), r.Parquet, r.Glue)
	}
	for _, r := range ExportedTypes() {
		fmt.Fprintf(&b, "| any other (MySQL, MariaDB, unlisted) | %s | %s | `%s` |\n", r.Source, r.Parquet, r.Glue)
	}
	b.WriteString("| anything else | — | — | `string` |\n")
	return b.String()
}
