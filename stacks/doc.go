// Package stacks builds the app's stacks from configuration: the
// single-account demo stack (DemoResources + S3Copy + RdsExport, like the
// seed) and the source-account stack (a staging export bucket, S3Copy into
// the analytics bucket, RdsExport of the configured databases).
// [ConfigFromContext] reads and validates the CDK context; [Build] adds the
// configured stacks to an app.
package stacks
