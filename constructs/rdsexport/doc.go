// Package rdsexport provides RdsExport: an EventBridge rule on RDS
// "snapshot created" events and a Standard JSONata state machine that exports
// each snapshot of the configured clusters and instances to S3 as Parquet,
// then runs the copy state machine (see package s3copy) and waits for it.
// No Lambda function is involved.
//
// The flow, in words:
//
//	snapshot created (0075/0169 cluster, 0042/0091 instance)
//	  → Describe the snapshot → not a configured source? → Skipped (success)
//	  → StartExportTask with an export id derived from the snapshot
//	      (already exists → follow the running export; the 5-export quota →
//	      wait for a slot until ExportTimeout; another error → fail)
//	  → DescribeExportTasks every PollInterval until COMPLETE / FAILED / CANCELED
//	  → run the copy state machine, named after the export id, and wait (.sync)
//	  → put "RDS Snapshot Export Copied" on the default event bus (and on
//	      DestinationEventBus when set)
//
// The smallest use:
//
//	exp, err := rdsexport.New(stack, "RdsExport", &rdsexport.Props{
//		ClusterIdentifiers: []string{"analytics-db"},
//		ExportBucket:       exportBucket,
//		ExportKey:          exportKey,
//		CopyStateMachine:   cp.StateMachine(),
//	})
//
// When props are invalid, New returns one error that joins a message per
// bad prop (errors.Join), each naming the bad value.
package rdsexport
