// Package destination provides Destination, the analytics account's side:
// the bucket every source account copies its snapshot exports into, and its
// KMS key, with a bucket policy and key policy that admit exactly the source
// accounts' copy roles.
//
// Flow: source account (RdsExport → S3Copy, roles named
// "<CopyRoleNamePrefix>-…") → PutObject / multipart upload, SSE-KMS with this
// key → this bucket.
//
// The smallest use:
//
//	d, err := destination.New(stack, "Destination", &destination.Props{
//		BucketName:     "analytics-snapshots-444455556666",
//		SourceAccounts: []string{"111122223333", "222233334444"},
//	})
package destination
