package test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/simulator/gluefake"
	"github.com/snapshotlake/snapshotlake/simulator/rdsfake"
	"github.com/snapshotlake/snapshotlake/simulator/sim"
)

// duckDBType is the Glue type of the type DuckDB reads a Parquet column as.
var duckDBType = map[string]string{
	"INTEGER": "int", "BIGINT": "bigint", "SMALLINT": "smallint", "FLOAT": "float", "DOUBLE": "double",
	"VARCHAR": "string", "BOOLEAN": "boolean", "BLOB": "binary",
}

// parquetColumns are the columns DuckDB reads from a table's copied files
// in the run's destination bucket, with the Hive partition column from the
// path, as Glue types.
func parquetColumns(t *testing.T, db *sql.DB, dir, database, table string) [][2]string {
	glob := filepath.Join(dir, database, table, "*", "*", "*.parquet")
	rows, err := db.Query(fmt.Sprintf(`DESCRIBE SELECT * FROM read_parquet('%s', hive_partitioning = true)`, glob))
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out [][2]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		name, typ := fmt.Sprint(vals[0]), fmt.Sprint(vals[1])
		glue, ok := duckDBType[typ]
		require.True(t, ok, "DuckDB type %s of %s.%s", typ, table, name)
		out = append(out, [2]string{name, glue})
	}
	require.NoError(t, rows.Err())
	return out
}

func TestCatalog_crossAccountExampleIsQueryableOnArrival(t *testing.T) {
	// GIVEN the cross-account example: a source account exports a snapshot of the demo tables,
	// and the same event is delivered twice
	sc := example(t, "catalog")
	app := simApp(t, sc.Context)
	r := simulate(t, sc)
	require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)

	// THEN both announcements crossed to the destination bus and started the catalog, which succeeded
	require.Len(t, r.Result.Catalog, 2, "one catalog run per announcement")
	for _, c := range r.Result.Catalog {
		require.Equal(t, "SUCCEEDED", c.Status, "%s: %s", c.Error, c.Cause)
	}
	first, second := r.Result.Catalog[0].Output.(map[string]any), r.Result.Catalog[1].Output.(map[string]any)
	assert.Equal(t, 3.0, first["created"])
	assert.Equal(t, 3.0, first["partitionsAdded"])
	assert.Equal(t, map[string]any{"created": 0.0, "updated": 0.0, "partitionsAdded": 0.0},
		map[string]any{"created": second["created"], "updated": second["updated"], "partitionsAdded": second["partitionsAdded"]},
		"the same event twice changes nothing")

	// AND the catalog holds one table per source table, whose columns are what DuckDB reads from the copied Parquet
	database := app.Config.Destination.CatalogDatabase
	if database == "" {
		database = "snapshotlake"
	}
	dir := t.TempDir()
	_, err := r.WriteOut(dir)
	require.NoError(t, err)
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer func() { _ = db.Close() }()
	var want []string
	for _, tb := range rdsfake.DemoTables() {
		want = append(want, "postgres_public_"+tb.Table)
	}
	assert.Equal(t, want, r.Glue.Tables(database))
	for _, tb := range rdsfake.DemoTables() {
		table, ok := r.Glue.Table(database, "postgres_public_"+tb.Table)
		require.True(t, ok)
		// the table's columns then its partition key, as an engine reading the catalog sees them
		cols := append(gluefake.Columns(table), [2]string{"partition_datetime", "string"})
		assert.Equal(t, parquetColumns(t, db, dir, "postgres", "public."+tb.Table), cols, tb.Table)
		assert.Equal(t, []any{map[string]any{"Name": "partition_datetime", "Type": "string"}}, table.Input["PartitionKeys"])
		assert.Equal(t, "s3://"+r.DestinationBucket+"/postgres/public."+tb.Table+"/", table.Input["StorageDescriptor"].(map[string]any)["Location"])
		parts := r.Glue.Partitions(database, "postgres_public_"+tb.Table)
		require.Len(t, parts, 1, "one partition per export")
		assert.Equal(t, []string{"20261124T030458Z"}, parts[0].Values)
	}

	// WHEN a later snapshot is exported, with a column added to city
	later := sc
	later.Deliveries = 1
	later.Snapshot.SnapshotTime = "2026-11-25T03:04:58.145Z"
	tables := rdsfake.DemoTables()
	for i := range tables {
		if tables[i].Table == "city" {
			tables[i].Columns = append(tables[i].Columns, "mayor")
			tables[i].Types["mayor"] = rdsfake.TypeString
			tables[i].OriginalTypes["mayor"] = "text"
			for _, row := range tables[i].Rows {
				row["mayor"] = "someone"
			}
		}
	}
	for _, tb := range tables {
		later.Export.Tables = append(later.Export.Tables, sim.Table{Database: tb.Database, Schema: tb.Schema, Table: tb.Table, Columns: tb.Columns, Rows: tb.Rows, Types: tb.Types, OriginalTypes: tb.OriginalTypes})
	}
	r2, err := sim.Execute(context.Background(), app, later, sim.Options{Evaluator: sharedEvaluator(t), Continue: r})
	require.NoError(t, err)
	require.Equal(t, "SUCCEEDED", r2.Result.Status, r2.Result.Cause)
	require.Len(t, r2.Result.Catalog, 1)
	require.Equal(t, "SUCCEEDED", r2.Result.Catalog[0].Status, r2.Result.Catalog[0].Cause)

	// THEN every table has a second partition, and city's columns gained the new one
	out := r2.Result.Catalog[0].Output.(map[string]any)
	assert.Equal(t, 1.0, out["updated"])
	assert.Equal(t, 3.0, out["partitionsAdded"])
	for _, tb := range tables {
		parts := r2.Glue.Partitions(database, "postgres_public_"+tb.Table)
		require.Len(t, parts, 2, tb.Table)
		assert.Equal(t, []string{"20261125T030458Z"}, parts[1].Values)
	}
	city, _ := r2.Glue.Table(database, "postgres_public_city")
	cols := gluefake.Columns(city)
	assert.Equal(t, [2]string{"mayor", "string"}, cols[len(cols)-1])
	assert.True(t, strings.HasPrefix(fmt.Sprint(cols), "[[id int]"), "%v", cols)
}
