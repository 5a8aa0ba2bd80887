// Package awserr is the error shape shared by the local executor and the local
// fakes: a Step Functions error name (e.g. "S3.NoSuchKeyException",
// "States.TaskFailed") and a cause, exactly as a Catch or Retry sees them.
package awserr

import (
	"errors"
	"fmt"
)

// Error is a task failure as Step Functions reports it.
type Error struct {
	// Name is the error name Retry/Catch match on, e.g. "S3.NoSuchKeyException".
	Name string
	// Cause is the human-readable cause carried in the error output.
	Cause string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Name, e.Cause) }

// New returns an *Error with a formatted cause.
func New(name, format string, args ...any) *Error {
	return &Error{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// As returns the *Error inside err, or a States.TaskFailed error wrapping any
// other error so that nothing a fake returns is lost.
func As(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Name: "States.TaskFailed", Cause: err.Error()}
}
