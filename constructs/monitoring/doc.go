// Package monitoring provides Monitoring: what makes the pipeline safe to
// run unattended. An encrypted SNS topic receives (1) every failed, timed-out
// or aborted execution of the watched state machines, from EventBridge,
// (2) RDS's export failed / canceled events, and (3) CloudWatch alarms on
// each state machine's ExecutionsFailed, ExecutionsTimedOut and
// ExecutionsAborted metrics.
//
// The smallest use:
//
//	m, err := monitoring.New(stack, "Monitoring", &monitoring.Props{
//		StateMachines: map[string]sfn.IStateMachine{"Export": exp.StateMachine(), "Copy": cp.StateMachine()},
//		Emails:        []string{"data-platform@example.com"},
//	})
package monitoring
