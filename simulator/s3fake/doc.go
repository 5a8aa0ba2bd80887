// Package s3fake is an in-memory Amazon S3 for running the product's state
// machines locally. It answers the aws-sdk:s3 tasks the state machines use
// (listObjectsV2, copyObject, the multipart copy actions and a few more)
// through [Fake.Call], with Step Functions' argument and error names.
//
// Objects hold either real bytes ([Fake.PutObject]) or only a declared size
// ([Fake.PutDeclared]); the bytes of a declared object are a deterministic
// function of its bucket, key and offset, so a 200 GB object costs no
// memory. Copies and multipart assemblies keep the lineage of their bytes:
// [Fake.ReadRange] on a copy returns exactly the source's bytes.
//
// The S3 rules that matter for copying an RDS export are enforced: the
// URL-decoding of CopySource, the 5 GiB CopyObject limit, the multipart part
// rules, listing order and paging, and BucketOwnerEnforced ACLs. Tests inject
// failures with [Fake.AddFault] and count requests with [Fake.Calls].
// A Fake is safe for concurrent use.
package s3fake
