// Package s3copy provides S3Copy: a Standard JSONata state machine that
// copies a finished RDS snapshot export into the destination bucket under
// Hive-style keys, server-side, with no Lambda function.
//
// The flow, in words:
//
//	Plan copy (export root, partition "partition_datetime=20261124T030405Z")
//	  → Distributed Map over "[S3Prefix/]<export id>/" (S3 ItemReader, batches of 500,
//	    Express children): CopyObject of every data file up to MultipartThresholdBytes
//	  → Distributed Map, Standard children: each larger file runs the multipart
//	    state machine (CreateMultipartUpload → UploadPartCopy per range →
//	    CompleteMultipartUpload, AbortMultipartUpload on failure)
//	  → Distributed Map, Express children: _SUCCESS markers and export metadata,
//	    only after every data file is in place
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
// New returns an error naming the bad value when props are invalid.
package s3copy
