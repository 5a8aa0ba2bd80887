// Package demodata holds the seed's demo database as SQL, shared by the demo
// construct (which ships it for the Data API) and the RDS fake (which
// exports its rows as Parquet).
package demodata

import _ "embed" // the SQL file

// SQL is the seed's demo schema and rows (shared/data/demo.sql): tables
// city, country and countrylanguage.
//
//go:embed demo.sql
var SQL string
