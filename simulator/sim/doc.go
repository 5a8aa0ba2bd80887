// Package sim runs the pipeline locally: it synthesizes the app, resolves
// the state machine definitions of one stack to plain JSON (CloudFormation
// references replaced by the names and ARNs CloudFormation would give), and
// executes them with the local executor (package asl) against the S3, RDS,
// EventBridge and Glue fakes, for a [Scenario]: which event, what the export holds, which
// calls fail. The result lists every execution with its history events and
// billed state transitions, the calls made, the export tasks and the
// destination bucket. cmd/simulate is its command line.
package sim
