// Package sfnkit holds what the project's constructs share when they build
// JSONata state machines: expression helpers, the logged and traced state
// machine every construct creates, its Task states (AWS SDK calls, child
// executions) and the rule target that starts it, and prop validation
// messages.
package sfnkit

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/internal/nag"

	"github.com/snapshotlake/snapshotlake/internal/kmskey"
)

// Expr wraps a JSONata expression as a Step Functions JSONata template.
func Expr(expr string) string { return "{% " + expr + " %}" }

// ExprPtr is Expr for jsii props that take *string.
func ExprPtr(expr string) *string { return jsii.String(Expr(expr)) }

// Quote renders s as a single-quoted JSONata string literal. JSONata has no
// escape for a single quote, so it is written as \u0027; CDK tokens inside s
// survive, as they hold none of the escaped characters.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\'':
			b.WriteString(`\u0027`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// QuoteList renders ss as a JSONata array of string literals.
func QuoteList(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = Quote(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// MachineOptions configures NewStateMachine.
type MachineOptions struct {
	Definition awsstepfunctions.IChainable
	Type       awsstepfunctions.StateMachineType
	Timeout    awscdk.Duration
	// LogLevel of the execution log. Default: ERROR.
	LogLevel awsstepfunctions.LogLevel
	// LogRetention of the execution log group. Default: one year.
	LogRetention awslogs.RetentionDays
	// LogKey encrypts the execution log group. Default: a new key with rotation enabled.
	LogKey awskms.IKey
	// RoleName names the execution role, for policies in other accounts
	// that admit it by name. Default: a generated name.
	RoleName *string
}

// Machine is a state machine with the log group and key made for it.
type Machine struct {
	StateMachine awsstepfunctions.StateMachine
	LogGroup     awslogs.LogGroup
	LogKey       awskms.IKey
}

// NewStateMachine creates a JSONata state machine with tracing on, a timeout,
// and execution logs in a KMS-encrypted log group. Constructs ids under scope:
// "LogKey" (when no key is given), "LogGroup", "StateMachine".
func NewStateMachine(scope constructs.Construct, opts MachineOptions) Machine {
	key := opts.LogKey
	if key == nil {
		k := kmskey.New(scope, "LogKey", "Encrypts the execution logs of "+*scope.Node().Path(), "")
		key = k
	}
	GrantLogsService(key)
	retention := opts.LogRetention
	if retention == "" {
		retention = awslogs.RetentionDays_ONE_YEAR
	}
	logGroup := awslogs.NewLogGroup(scope, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: key,
		Retention:     retention,
	})
	level := opts.LogLevel
	if level == "" {
		level = awsstepfunctions.LogLevel_ERROR
	}
	var role awsiam.IRole
	if opts.RoleName != nil {
		role = awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
			AssumedBy: awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil),
			RoleName:  opts.RoleName,
		})
	}
	sm := awsstepfunctions.NewStateMachine(scope, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		Role:             role,
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromChainable(opts.Definition),
		QueryLanguage:    awsstepfunctions.QueryLanguage_JSONATA,
		StateMachineType: opts.Type,
		Timeout:          opts.Timeout,
		TracingEnabled:   jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logGroup,
			Level:                level,
			IncludeExecutionData: jsii.Bool(true),
		},
	})
	if level != awsstepfunctions.LogLevel_ALL {
		nag.Suppress(sm, "AwsSolutions-SF1", "logs at level "+string(level)+" with execution data: level ALL would log every state of every Distributed Map child, millions of log events for a large export, while failures are logged in full at ERROR")
	}
	return Machine{StateMachine: sm, LogGroup: logGroup, LogKey: key}
}

// GrantLogsService lets CloudWatch Logs in this stack's region use key for
// log groups of this account, as CloudWatch Logs requires for encrypted log
// groups.
func GrantLogsService(key awskms.IKey) {
	stack := awscdk.Stack_Of(key)
	principal := awsiam.NewServicePrincipal(awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("logs."), stack.Region(), jsii.String(".amazonaws.com"),
	}), nil)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchLogs"),
		Principals: &[]awsiam.IPrincipal{principal},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"ArnLike": map[string]interface{}{
				"kms:EncryptionContext:aws:logs:arn": awscdk.Fn_Join(jsii.String(""), &[]*string{
					jsii.String("arn:"), stack.Partition(), jsii.String(":logs:"), stack.Region(),
					jsii.String(":"), stack.Account(), jsii.String(":log-group:*"),
				}),
			},
		},
	}), jsii.Bool(false))
}

// Unresolved reports whether s holds a CDK token, which cannot be validated
// at synthesis time.
func Unresolved(s string) bool { return *awscdk.Token_IsUnresolved(s) }

// Seconds returns a duration's whole seconds, or an error naming the prop
// when the duration is a token or not a whole number of seconds.
func Seconds(prop string, d awscdk.Duration) (int64, error) {
	if d == nil {
		return 0, fmt.Errorf("%s must be set", prop)
	}
	if *awscdk.Token_IsUnresolved(d) {
		return 0, fmt.Errorf("%s must be a literal duration, got a token", prop)
	}
	ms := *d.ToMilliseconds(nil)
	if ms <= 0 || math.Mod(ms, 1000) != 0 {
		return 0, fmt.Errorf("%s must be a positive whole number of seconds, got %s", prop, *d.ToHumanString())
	}
	return int64(ms / 1000), nil
}

// StartExecutionErrors are the transient errors of the states:startExecution
// integration (throttling, the open-executions quota, the network). A
// function, so that no caller can change another's list.
func StartExecutionErrors() []string {
	return []string{"StepFunctions.SdkClientException", "StepFunctions.AWSStepFunctionsException", "StepFunctions.ExecutionLimitExceededException"}
}

// Backoff is the project's one retry shape: exponential backoff (rate 2)
// with full jitter. Step Functions counts the interval and the delay cap in
// whole seconds.
type Backoff struct {
	// Interval before the first retry; at least one second.
	Interval time.Duration
	// MaxAttempts is the number of retries.
	MaxAttempts int
	// MaxDelay caps each wait. Zero: no cap.
	MaxDelay time.Duration
}

// Retry retries errors with backoff b.
func Retry(b Backoff, errors ...string) *awsstepfunctions.RetryProps {
	r := &awsstepfunctions.RetryProps{
		Errors:         jsii.Strings(errors...),
		Interval:       awscdk.Duration_Seconds(jsii.Number(b.Interval.Seconds())),
		BackoffRate:    jsii.Number(2),
		MaxAttempts:    jsii.Number(b.MaxAttempts),
		JitterStrategy: awsstepfunctions.JitterType_FULL,
	}
	if b.MaxDelay > 0 {
		r.MaxDelay = awscdk.Duration_Seconds(jsii.Number(b.MaxDelay.Seconds()))
	}
	return r
}
