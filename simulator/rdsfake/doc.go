// Package rdsfake simulates the RDS snapshots and snapshot exports the
// product's state machines work with. It answers the aws-sdk:rds tasks
// (describeDBClusterSnapshots, describeDBSnapshots, startExportTask,
// describeExportTasks) through [Fake.Call], with Step Functions' argument and
// error names.
//
// A scenario configures snapshots and, per snapshot, an [ExportPlan]: how
// many describes an export stays in progress, how it ends, and what it
// writes. An export that reaches COMPLETE writes RDS's layout into an
// [s3fake.Fake]: a real GZIP Parquet file and a _SUCCESS marker per table,
// declared-size objects for anything else the scenario lists, and the
// export_info / export_tables_info metadata files. [DemoTables] returns the
// rows of the seed's demo database, parsed from internal/demodata's demo.sql.
// The Parquet writer is the fake's own (PLAIN, GZIP, one row group); its
// tests read every file back with parquet-go, and the demo's with DuckDB.
//
// The export rules that matter are enforced: identifier syntax, no ':' in
// S3Prefix, duplicate identifiers and the 5-concurrent-exports quota.
// Tests inject failures with [Fake.AddFault] and count requests with
// [Fake.Calls]. A Fake is safe for concurrent use.
package rdsfake
