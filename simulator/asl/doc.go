// Package asl is a small executor of Amazon States Language state machines
// written in JSONata (QueryLanguage "JSONata"), made to run this project's
// synthesized Step Functions definitions locally, with no AWS: every
// aws-sdk Task is answered by an Integration (the local fakes), every
// JSONata expression is evaluated by the reference jsonata implementation
// (package jsonata, through FromJSONata), and each execution is counted the
// way Step Functions records and bills it.
//
// Usage:
//
//	ex := asl.New(integration, asl.FromJSONata(evaluator), asl.WithClock(now))
//	err := ex.Register("arn:aws:states:eu-west-1:123456789012:stateMachine:Copy", definitionJSON, asl.TypeStandard)
//	exec, err := ex.Start(ctx, "arn:aws:states:eu-west-1:123456789012:stateMachine:Copy", "run-1", input)
//	// exec.Status, exec.Output, exec.Error, exec.Cause, exec.HistoryEvents, exec.StateTransitions
//	records := ex.Executions() // every execution, nested and Distributed Map children included
//
// # Supported
//
//   - States: Pass, Task, Choice (Condition; rule-level Output and Assign),
//     Wait (Seconds, Timestamp), Succeed, Fail (Error and Cause may be
//     JSONata), Parallel, Map in INLINE and DISTRIBUTED mode.
//   - JSONata everywhere: QueryLanguage at the top or per state (JSONPath
//     states are rejected at Register). "{% expr %}" strings anywhere in
//     Arguments, Output, Assign, Items, ItemSelector, ItemReader Arguments,
//     ItemBatcher fields, MaxConcurrency, ToleratedFailure*, TimeoutSeconds,
//     Wait Seconds/Timestamp, Fail Error/Cause, Choice Condition; only a whole
//     string of the exact form "{% ... %}" is an expression, objects and
//     arrays are walked recursively, every other string is literal.
//   - $states.input, $states.result (Task, Map, Parallel), $states.errorOutput
//     ({Error, Cause}, in a Catcher's Output and Assign), $states.context:
//     Execution {Id, Input, Name, RoleArn, StartTime, RedriveCount},
//     State {Name, EnteredTime, and RetryCount on Task, Parallel and Map
//     states only, as AWS records it}, StateMachine {Id, Name}, and
//     Map.Item {Index, Value} in ItemSelector.
//   - Default outputs: the result for Task, Map and Parallel, the input for
//     Pass, Wait, Choice and Succeed, the error output in a Catcher.
//   - Variables (Assign): Output and Assign of a state are evaluated together,
//     both with the variable values of state entry (and $states.result);
//     new values apply when the state completes. A Map iteration or Parallel
//     branch reads the enclosing variables and assigns into its own scope
//     (outer variables are never changed). Distributed Map children start with
//     no variables; their ItemSelector and ItemBatcher.BatchInput are
//     evaluated in the parent and may use the parent's variables.
//   - Retry: ErrorEquals, IntervalSeconds (1), MaxAttempts (3),
//     BackoffRate (2.0), MaxDelaySeconds; JitterStrategy is accepted and
//     ignored. The first Retrier whose ErrorEquals matches applies; the delay
//     of its n-th retry is IntervalSeconds*BackoffRate^n capped by
//     MaxDelaySeconds, on the simulated clock. Catch: ErrorEquals, Next,
//     Output, Assign; first match wins.
//   - Error names: exact match; States.ALL (alone, last) matches everything
//     but States.Runtime and States.DataLimitExceeded; States.TaskFailed
//     matches everything but States.Timeout (and those two); States.Runtime is
//     never retried or caught. Raised: States.TaskFailed (an integration error
//     that is not an *awserr.Error), States.Timeout (Task TimeoutSeconds on a
//     .sync child's simulated duration; state machine TimeoutSeconds, status
//     TIMED_OUT), States.QueryEvaluationError (a JSONata error, an undefined
//     value where a field needs one, a Condition that is not a boolean,
//     Items that are not an array, a bad Seconds/Timestamp), States.Runtime
//     (history limit, a Task Arguments that is not an object),
//     States.NoChoiceMatched, States.ItemReaderFailed,
//     States.ExceedToleratedFailureThreshold, States.DataLimitExceeded (256 KiB
//     on Task Arguments and results, Map and Parallel results — a Map
//     without ResultWriter gathers every output, checked before Output —,
//     state outputs, variables assigned by one state, execution inputs). Causes raised by a state's own expressions and
//     fields read as AWS's: "An error occurred while executing the state 'X'
//     (entered at the event id #N). The JSONata expression '...' specified for
//     the field 'Output/result' returned nothing (undefined)." (field paths
//     with /, array elements as [i]); the 136 executions recorded on AWS in
//     ../shared/conformance, when present, are replayed by
//     TestAWSRecordedExecutions, causes included.
//   - Task resources: arn:aws:states:::aws-sdk:<service>:<action> through the
//     Integration; arn:aws:states:::aws-sdk:sfn:describeExecution is answered
//     here for executions run here; arn:aws:states:::states:startExecution,
//     .sync and .sync:2 with Arguments {StateMachineArn, Input, Name} start a
//     registered state machine as a nested execution. .sync:2 returns the
//     DescribeExecution fields with Input and Output as JSON, .sync with
//     JSON strings; plain startExecution returns {ExecutionArn, StartDate}
//     and runs the child in the background (Executor.Wait). A child that does
//     not succeed fails a .sync task with States.TaskFailed whose cause is the
//     child's DescribeExecution output as JSON, carrying the child's Error and
//     Cause (what the optimized integration does; recorded AWS histories in
//     LocalStack's Step Functions test suite agree). STANDARD execution names
//     are unique per state machine: the same name and input while RUNNING
//     returns the running execution, otherwise
//     StepFunctions.ExecutionAlreadyExistsException (EXPRESS names are not
//     checked).
//   - Map: Items (default: the state input), ItemSelector, MaxConcurrency
//     (0 = unbounded: 10,000 for a Distributed Map; inline at most 40 as in AWS),
//     results in item order. DISTRIBUTED: ProcessorConfig ExecutionType
//     STANDARD or EXPRESS, each child a separate execution with its own
//     record, history count, history limit and billing; ItemReader
//     arn:aws:states:::s3:listObjectsV2 with Arguments {Bucket, Prefix}
//     (other arguments are passed through) paged by the executor through the
//     Integration (service "s3", action "listObjectsV2", ContinuationToken),
//     each object becoming {Key, Size, Etag, LastModified (epoch seconds),
//     StorageClass} — the ItemReader's names, not ListObjectsV2's (ETag,
//     ISO LastModified); or ItemReader arn:aws:states:::s3:getObject
//     {Bucket, Key} with ReaderConfig InputType JSON, whose items are the
//     array at ReaderConfig.ItemsPointer (a JSON Pointer; default the whole
//     document); ReaderConfig.MaxItems; ItemBatcher
//     {MaxItemsPerBatch, MaxInputBytesPerBatch (at most 256 KiB), BatchInput}
//     giving each child {Items, BatchInput}; ItemSelector applies to each item
//     before batching; ToleratedFailureCount/Percentage over items (on an
//     INLINE Map, which AWS accepts, they are evaluated and checked, not
//     applied: they are Distributed Map thresholds; a failed
//     batch fails all its items; with neither set, one failure fails the run);
//     Label.
//
// # Simplifications
//
//   - Time is simulated, on one clock per Executor that every thread
//     shares (see clock.go): an execution starts at the clock (WithClock) or
//     at its parent's simulated time; Wait states, Retry intervals and calls
//     to a TimedIntegration advance it (other integrations take no time).
//     The clock moves only when every thread waits, so at most
//     MaxConcurrency Distributed Map children and min(MaxConcurrency, 40)
//     inline iterations run at once in simulated time, requests reach the
//     integration in simulated-time order, and a Map or Parallel state ends
//     when its last iteration or branch does. An Express execution that runs
//     past 5 minutes (WithExpressMaxDuration) fails with States.Timeout.
//   - An inline Map evaluates ItemSelector for all items before the first
//     iteration (a selector failure fails the Map state before any
//     MapIterationStarted). A failed iteration or branch stops its siblings at
//     their next state (not mid-Task); the error of the lowest-index failed
//     iteration or branch is reported. Parallel branches and Map iterations
//     propagate their own error name (AWS does too); States.BranchFailed is
//     matchable but never raised.
//   - A failed Distributed Map child contributes null to the Map result when
//     the failure is tolerated (AWS writes failures through ResultWriter,
//     which is not supported). When the tolerated count is exceeded, no new
//     child starts and running ones are aborted.
//   - A Choice rule's own Output/Assign replaces the state's; the state's
//     apply to Default.
//   - JSON objects lose their key order (Go maps): .sync results, JSON
//     strings and outputs have keys sorted.
//   - The JSONata input document ($) is null; use $states.input.
//   - Expressions of one state sharing an environment go to the JSONata
//     engine as one request holding several expressions, so that a large
//     input is sent once; ItemSelector goes as a $map over a chunk of items,
//     retried item by item when the chunk fails, to report the failing one.
//   - Not supported (rejected at Register): JSONPath, Activities, Lambda ARNs,
//     other optimized integrations, .waitForTaskToken, ResultWriter, ItemReader
//     other than s3:listObjectsV2 and JSON s3:getObject, Credentials; ItemReader, ItemBatcher
//     and Label on an INLINE Map (Distributed Map fields).
//     HeartbeatSeconds is accepted and ignored. Registration checks the structure (fields allowed per state
//     type, transitions, reachability, unique state names, Retry/Catch
//     fields, .sync not in EXPRESS machines) and names the offending state.
//   - Registration parses every JSONata expression of the definition, reached
//     or not, as CreateStateMachine does, and refuses it with a
//     *DefinitionError carrying AWS's diagnostic: INVALID_JSONATA_EXPRESSION
//     (the parser's message) or UNSUPPORTED_JSONATA_EXPRESSION (a name, $ or
//     $$ read at the top level; $states.errorOutput outside a Catcher's
//     Output and Assign), at the field's location (/States/E/Output/v).
//
// # History events (ExecutionRecord.HistoryEvents)
//
// Event types are those of the HistoryEvent API (GetExecutionHistory), in
// the order Step Functions records them; the sequences were checked against
// histories recorded from AWS in LocalStack's snapshot tests
// (tests/aws/services/stepfunctions/v2, e.g. test_base_query_language,
// test_task_service_sfn):
//
//	execution       ExecutionStarted ... ExecutionSucceeded | ExecutionFailed | ExecutionTimedOut | ExecutionAborted
//	Pass            PassStateEntered, PassStateExited
//	Wait            WaitStateEntered, WaitStateExited
//	Choice          ChoiceStateEntered, ChoiceStateExited
//	Succeed         SucceedStateEntered, SucceedStateExited
//	Fail            FailStateEntered (then ExecutionFailed, or the enclosing iteration/branch fails)
//	Task            TaskStateEntered, per attempt: TaskScheduled, TaskStarted,
//	                [TaskSubmitted for .sync], TaskSucceeded | TaskFailed | TaskTimedOut;
//	                TaskStateExited when it succeeds or is caught (none when it fails the execution)
//	Parallel        ParallelStateEntered, ParallelStateStarted, <branch states>,
//	                ParallelStateSucceeded | ParallelStateFailed, ParallelStateExited
//	inline Map      MapStateEntered, MapStateStarted, per iteration: MapIterationStarted,
//	                <iteration states>, MapIterationSucceeded | MapIterationFailed | MapIterationAborted;
//	                MapStateSucceeded | MapStateFailed, MapStateExited
//	distributed Map MapStateEntered, MapStateStarted, MapRunStarted, MapRunSucceeded | MapRunFailed,
//	                MapStateSucceeded | MapStateFailed, MapStateExited (children: own histories)
//	JSONata failure EvaluationFailed (instead of TaskScheduled for Arguments; after TaskSucceeded for Output/Assign)
//
// Simplifications: events of iterations and branches interleave in real
// time (their order is not deterministic, their number is); a retried
// Map or Parallel state records its Started event again; an oversized task
// result is recorded as TaskFailed. Express executions are counted the same
// way although AWS keeps no history for them.
//
// Limit: a STANDARD execution may hold 25,000 events (Step Functions
// service quotas: "Maximum execution history size: 25,000 events"). The event
// that would be the 25,000th fails the execution with States.Runtime, cause
// "The execution reached the maximum number of history events (25000)." (the
// error and cause AWS reports), and the closing ExecutionFailed takes that
// last slot: the failed history holds exactly 25,000 events. The error cannot
// be retried or caught.
//
// # Billing (ExecutionRecord.StateTransitions, ExpressRequests)
//
// Standard workflows: "Step Functions counts a state transition each time a
// step of your workflow is executed ... including retries" (AWS Step Functions
// pricing): StateTransitions = states entered (nested Map iterations and
// Parallel branches included) + Retry attempts. Distributed Map children are
// billed in their own records. Express workflows are billed per request and
// duration: ExpressRequests is 1 per execution, ExpressDuration 0, and
// StateTransitions 0. Summary adds them up.
//
// # Memory
//
// Records keep counts, not histories: history events (WithHistory) and
// traces (WithTrace) are kept only on request, and Distributed Map children
// keep no Input/Output (WithChildPayloads). A 100,000-object copy through a
// Distributed Map therefore keeps one small record per child execution.
package asl
