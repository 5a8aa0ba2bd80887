// Package catalog provides Catalog, the analytics account's Glue Data
// Catalog of the copied exports, kept with Step Functions SDK integrations
// only (no crawler, no Lambda).
//
// Flow: a source's "RDS Snapshot Export Copied" event (schema version 2) on
// the destination bus → rule → catalog state machine: list the export's
// export_tables_info_*.json files under the event's metadataPrefix; for each
// file, a Distributed Map reads its perTableStatus entries and, per table,
// GetTable → CreateTable or (columns or location changed) UpdateTable →
// CreatePartition for the event's partition. Glue.EntityNotFoundException
// and Glue.AlreadyExistsException are the expected answers of an idempotent
// run; any other Glue error (after retries of transient ones) fails the run,
// which Monitoring alerts on.
//
// Table names: "<database>_<schema>_<table>" lowercase, odd characters
// replaced by "_" and then suffixed by 8 hex digits of an MD5 of the source
// name (see tablePlanExpr). Column types: PostgreSQLTypes, then
// ExportedTypes, then string. A table dropped at the source stays in the
// catalog with its earlier partitions; a column dropped at the source is
// dropped from the table's columns at the next export (older partitions
// keep their own).
//
// The smallest use:
//
//	c, err := catalog.New(stack, "Catalog", &catalog.Props{Bucket: bucket, Key: key, EventBus: bus})
package catalog
