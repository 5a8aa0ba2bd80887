// Package s3copy provides S3Copy: Standard JSONata state machines that
// copy a finished RDS snapshot export into the destination bucket under
// Hive-style keys, server-side, with no Lambda function.
//
// The flow, in words:
//
//	Copy state machine:
//	  Plan copy (export root, partition "partition_datetime=20261124T030405Z")
//	  → ListObjectsV2 with a Delimiter: the database folders of "[S3Prefix/]<export id>/"
//	  → Distributed Map over the databases (Standard children), each listing its
//	    table folders a page of 1,000 at a time and, per page, running the
//	    table copy state machine for every table at once (a Distributed Map of
//	    startExecution.sync:2), then writing that page of the table manifest
//	  → the export's own files (export_info_*.json, ...), last
//	Table copy state machine, one execution per table folder:
//	  → Distributed Map over the folder (S3 ItemReader, batches of 100, Express
//	    children): CopyObject of every data file up to MultipartThresholdBytes
//	  → Distributed Map, Standard children: each larger file runs the multipart
//	    state machine (CreateMultipartUpload → UploadPartCopy per range →
//	    CompleteMultipartUpload, AbortMultipartUpload on failure)
//	  → Distributed Map, Express children: the table's _SUCCESS markers (which
//	    the data pass met while listing), only after all its data is in place
//
// Keys are rewritten by folder: "[S3Prefix/]<id>/<db>/<schema.table>/<rest>"
// becomes "[DestinationPrefix]<db>/<schema.table>/<PartitionKey>=<value>/<rest>";
// files at the export root go under "<MetadataPrefix>/<source>/<partition>/".
//
// The smallest use:
//
//	cp, err := s3copy.New(stack, "S3Copy", &s3copy.Props{
//		SourceBucket:      exportBucket,
//		SourceKey:         exportKey,
//		DestinationBucket: analyticsBucket,
//		DestinationKey:    analyticsKey,
//	})
//
// When props are invalid, New returns one error that joins a message per
// bad prop (errors.Join), each naming the bad value.
package s3copy
