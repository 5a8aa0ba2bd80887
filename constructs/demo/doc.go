// Package demo provides DemoResources, the baseline (seed) design's demo in one
// construct: a VPC (2 AZs, 1 NAT gateway), an Aurora PostgreSQL Serverless v2
// cluster with the Data API and the default database "postgres" (storage
// encrypted), the staging export bucket with its key, and the destination
// bucket with its key (rotation on, TLS only, public access blocked).
//
// The seed's demo tables (city, country, countrylanguage) ship as [SQL];
// [Statements] splits them for the Data API, which runs one statement per
// call. The README shows how to load them with `aws rds-data
// execute-statement` and the cmd/demo-sql command.
//
// The smallest use:
//
//	d, err := demo.New(stack, "Demo", nil)
//	// d.Cluster(), d.ExportBucket(), d.ExportKey(), d.DestinationBucket(), d.DestinationKey()
package demo
