package asl

import "github.com/snapshotlake/snapshotlake/simulator/awserr"

// Error names defined by the Amazon States Language and Step Functions.
const (
	ErrALL                       = "States.ALL"
	ErrTaskFailed                = "States.TaskFailed"
	ErrTimeout                   = "States.Timeout"
	ErrRuntime                   = "States.Runtime"
	ErrQueryEvaluation           = "States.QueryEvaluationError"
	ErrBranchFailed              = "States.BranchFailed"
	ErrNoChoiceMatched           = "States.NoChoiceMatched"
	ErrItemReaderFailed          = "States.ItemReaderFailed"
	ErrExceedToleratedFailure    = "States.ExceedToleratedFailureThreshold"
	ErrDataLimitExceeded         = "States.DataLimitExceeded"
	ErrExecutionAlreadyExists    = "StepFunctions.ExecutionAlreadyExistsException"
	ErrStateMachineDoesNotExist  = "StepFunctions.StateMachineDoesNotExistException"
	ErrInvalidExecutionInput     = "StepFunctions.InvalidExecutionInputException"
	ErrInvalidName               = "StepFunctions.InvalidNameException"
	ErrSdkExecutionDoesNotExist  = "Sfn.ExecutionDoesNotExistException"
	ErrSdkExecutionAlreadyExists = "Sfn.ExecutionAlreadyExistsException"
)

// Quotas (Step Functions service quotas).
const (
	// MaxPayloadBytes is the 256 KiB limit on a task's, state's or
	// execution's input or output, as a UTF-8 JSON string.
	MaxPayloadBytes = 256 * 1024
	// MaxHistoryEvents is the hard limit of a Standard execution's history.
	MaxHistoryEvents = 25000
	// historyLimitCause is the cause AWS reports when the limit is reached.
	historyLimitCause = "The execution reached the maximum number of history events (25000)."
)

// errorMatches reports whether a Retrier's or Catcher's ErrorEquals matches
// the error name, following "Handling errors in Step Functions workflows":
//   - names match exactly, except that States.Runtime is never retried or
//     caught ("A States.Runtime error isn't retriable, and will always cause
//     the execution to fail");
//   - States.ALL matches everything except States.Runtime and the terminal
//     States.DataLimitExceeded;
//   - States.TaskFailed acts as a wildcard for any error except
//     States.Timeout (and, like States.ALL, not the two terminal ones).
func errorMatches(errorEquals []string, name string) bool {
	if name == ErrRuntime {
		return false
	}
	for _, e := range errorEquals {
		switch {
		case e == name:
			return true
		case e == ErrALL && name != ErrDataLimitExceeded:
			return true
		case e == ErrTaskFailed && name != ErrTimeout && name != ErrDataLimitExceeded:
			return true
		}
	}
	return false
}

func newErr(name, cause string) *awserr.Error { return &awserr.Error{Name: name, Cause: cause} }
