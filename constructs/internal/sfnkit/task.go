package sfnkit

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The constructs build their Task states and rule targets here rather than
// with aws-stepfunctions-tasks and aws-events-targets: those two Go packages
// pull in about 90 other aws-cdk-go packages (ECS, EKS, SageMaker, ...) whose
// compilation was most of a fresh `make demo`. What they did for us is
// written out below, after aws-cdk-lib 2.276.0 (CallAwsService,
// StepFunctionsStartExecution, SfnStateMachine).

// Task is a JSONata Task state written as ASL. Like the tasks of
// aws-stepfunctions-tasks, it adds the IAM statements it needs to the role of
// the state machine whose graph it joins, in graph order.
type Task struct {
	sfn.CustomState
	statements []awsiam.PolicyStatement
}

// WhenBoundToGraph registers the state and its statements with the graph,
// as TaskStateBase does. CDK calls it; jsii lets the Go type override it.
func (t *Task) WhenBoundToGraph(graph sfn.StateGraph) {
	graph.RegisterState(t)
	for _, st := range t.statements {
		graph.RegisterPolicyStatement(st)
	}
}

// QueryLanguage is JSONata, so that the state says so where the states
// around it use JSONPath (in a Map's item processor, which CDK renders as
// JSONPath), as CDK's JSONata tasks do.
func (t *Task) QueryLanguage() sfn.QueryLanguage { return sfn.QueryLanguage_JSONATA }

// taskProps are the fields of a Task state; empty ones are left out.
type taskProps struct {
	Comment  string
	Resource *string
	// Arguments of the integration; nil renders as {}, as CDK's tasks do.
	Arguments map[string]interface{}
	Output    interface{}
	Assign    map[string]interface{}
	// Statements the state's role needs.
	Statements []awsiam.PolicyStatement
}

// newTask creates a Task state named name.
func newTask(scope constructs.Construct, name string, p taskProps) *Task {
	state := map[string]interface{}{"Type": "Task", "Resource": p.Resource}
	if p.Comment != "" {
		state["Comment"] = p.Comment
	}
	args := p.Arguments
	if args == nil {
		args = map[string]interface{}{}
	}
	state["Arguments"] = args
	if p.Output != nil {
		state["Output"] = p.Output
	}
	if p.Assign != nil {
		state["Assign"] = p.Assign
	}
	t := &Task{statements: p.Statements}
	sfn.NewCustomState_Override(t, scope, jsii.String(name), &sfn.CustomStateProps{StateJson: &state})
	return t
}

// integrationArn is the Resource of a Step Functions service integration.
func integrationArn(service, api string) *string {
	return jsii.String("arn:" + *awscdk.Aws_PARTITION() + ":states:::" + service + ":" + api)
}

// SdkCall is an AWS SDK integration (arn:…:states:::aws-sdk:service:action).
type SdkCall struct {
	// Service and Action as the integration names them: "rds", "startExportTask".
	Service, Action string
	// IamAction the call needs ("rds:StartExportTask"), on IamResources.
	IamAction    string
	IamResources []*string
	// ExtraStatements the call needs besides IamAction.
	ExtraStatements []awsiam.PolicyStatement
	Arguments       map[string]interface{}
	Comment         string
	Output          interface{}
	Assign          map[string]interface{}
}

// CallAwsService creates a Task state that calls an AWS API through the
// aws-sdk integration.
func CallAwsService(scope constructs.Construct, name string, c SdkCall) *Task {
	statements := append([]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(c.IamAction),
		Resources: &c.IamResources,
	})}, c.ExtraStatements...)
	return newTask(scope, name, taskProps{
		Comment:    c.Comment,
		Resource:   integrationArn("aws-sdk", strings.ToLower(c.Service)+":"+c.Action),
		Arguments:  c.Arguments,
		Output:     c.Output,
		Assign:     c.Assign,
		Statements: statements,
	})
}

// StartExecution runs a state machine and waits for it to finish
// (states:startExecution.sync:2: the child's output is JSON).
type StartExecution struct {
	StateMachine sfn.IStateMachine
	// Input is the child's input, a JSONata template.
	Input string
	// Name of the execution, a JSONata template. Default: one Step Functions generates.
	Name    string
	Comment string
	Output  interface{}
	Assign  map[string]interface{}
}

// StartExecutionSync creates a Task state that runs s.StateMachine and waits
// for it, with the statements Step Functions needs for .sync: start, describe
// and stop the execution, and the managed EventBridge rule it watches with.
func StartExecutionSync(scope constructs.Construct, name string, s StartExecution) *Task {
	stack := awscdk.Stack_Of(scope)
	arn := s.StateMachine.StateMachineArn()
	args := map[string]interface{}{"Input": s.Input, "StateMachineArn": arn}
	if s.Name != "" {
		args["Name"] = s.Name
	}
	machineName := stack.SplitArn(arn, awscdk.ArnFormat_COLON_RESOURCE_NAME).ResourceName
	return newTask(scope, name, taskProps{
		Comment:   s.Comment,
		Resource:  jsii.String(*integrationArn("states", "startExecution") + ".sync:2"),
		Arguments: args,
		Output:    s.Output,
		Assign:    s.Assign,
		Statements: []awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("states:StartExecution"), Resources: &[]*string{arn},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("states:DescribeExecution", "states:StopExecution"),
				Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
					Service: jsii.String("states"), Resource: jsii.String("execution"),
					ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME, ResourceName: jsii.String(*machineName + "*"),
				})},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("events:PutTargets", "events:PutRule", "events:DescribeRule"),
				Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
					Service: jsii.String("events"), Resource: jsii.String("rule"),
					ResourceName: jsii.String("StepFunctionsGetEventsForStepFunctionsExecutionRule"),
				})},
			}),
		},
	})
}

// TargetProps configures StateMachineTarget.
type TargetProps struct {
	// DeadLetterQueue receives the events that could not be delivered. Default: none.
	DeadLetterQueue awssqs.IQueue
	// RetryAttempts bounds EventBridge's delivery retries.
	RetryAttempts int
	// MaxEventAge bounds them in time. Default: EventBridge's (24 hours).
	MaxEventAge awscdk.Duration
}

// stateMachineTarget is an EventBridge rule target that starts a state
// machine with the event as input.
type stateMachineTarget struct {
	machine sfn.IStateMachine
	role    awsiam.IRole
	props   TargetProps
}

// StateMachineTarget is a rule target that starts sm with the matched
// event. It creates the role EventBridge assumes ("EventsRole" under sm,
// allowed states:StartExecution on sm), and lets EventBridge send undelivered
// events to the dead-letter queue.
// DeadLetterQueue must be in the rule's stack. One target per state machine.
func StateMachineTarget(sm sfn.StateMachine, props TargetProps) awsevents.IRuleTarget {
	role := awsiam.NewRole(sm, jsii.String("EventsRole"), &awsiam.RoleProps{
		RoleName:  awscdk.PhysicalName_GENERATE_IF_NEEDED(),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
	})
	sm.GrantStartExecution(role)
	return &stateMachineTarget{machine: sm, role: role, props: props}
}

// Bind is called by the rule for each target.
func (t *stateMachineTarget) Bind(rule interfacesawsevents.IRuleRef, _ *string) *awsevents.RuleTargetConfig {
	cfg := &awsevents.RuleTargetConfig{
		Arn:            t.machine.StateMachineArn(),
		Role:           t.role,
		TargetResource: t.machine,
		RetryPolicy:    &awsevents.CfnRule_RetryPolicyProperty{MaximumRetryAttempts: jsii.Number(t.props.RetryAttempts)},
	}
	if t.props.MaxEventAge != nil {
		cfg.RetryPolicy.MaximumEventAgeInSeconds = t.props.MaxEventAge.ToSeconds(&awscdk.TimeConversionOptions{Integral: jsii.Bool(true)})
	}
	if q := t.props.DeadLetterQueue; q != nil {
		// The rule and the queue are in one stack: EventBridge of this
		// account may send the rule's undelivered events to the queue.
		q.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AllowEventRule" + *awscdk.Names_NodeUniqueId(rule.Node())),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
			Effect:     awsiam.Effect_ALLOW,
			Actions:    jsii.Strings("sqs:SendMessage"),
			Resources:  &[]*string{q.QueueArn()},
			Conditions: &map[string]interface{}{"ArnEquals": map[string]interface{}{"aws:SourceArn": awsevents.CfnRule_ArnForRule(rule)}},
		}))
		cfg.DeadLetterConfig = &awsevents.CfnRule_DeadLetterConfigProperty{Arn: q.QueueArn()}
	}
	return cfg
}
