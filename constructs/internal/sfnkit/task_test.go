package sfnkit_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/constructs/internal/sfnkit"
)

func resolved(stack awscdk.Stack, v any) any { return stack.Resolve(v) }

func partitionArn(rest string) any {
	return map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, rest}}}
}

func TestCallAwsService_rendersTheTaskAndRegistersItsStatementsInGraphOrder(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Call"), nil)
	first := sfnkit.CallAwsService(stack, "Describe", sfnkit.SdkCall{
		Service: "rds", Action: "describeDBSnapshots", IamAction: "rds:DescribeDBSnapshots",
		IamResources: []*string{jsii.String("arn:aws:rds:eu-west-1:111122223333:snapshot:*")},
		Comment:      "why", Output: "{% $states.input %}", Assign: map[string]any{"x": 1},
	})
	extra := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("s3:GetObject"), Resources: jsii.Strings("arn:aws:s3:::b/*")})
	second := sfnkit.CallAwsService(stack, "Put", sfnkit.SdkCall{
		Service: "S3", Action: "putObject", IamAction: "s3:PutObject", IamResources: []*string{jsii.String("*")},
		Arguments: map[string]any{"Bucket": "b"}, ExtraStatements: []awsiam.PolicyStatement{extra},
	})
	first.Next(second)

	assert.Equal(t, map[string]any{
		"Type": "Task", "Next": "Put", "Comment": "why", "Arguments": map[string]any{},
		"Output": "{% $states.input %}", "Assign": map[string]any{"x": float64(1)},
		"Resource": partitionArn(":states:::aws-sdk:rds:describeDBSnapshots"),
	}, resolved(stack, first.ToStateJson(sfn.QueryLanguage_JSONATA)))
	// Inside a Map's item processor CDK renders states as JSONPath: the
	// task must say it is JSONata.
	inPath := *second.ToStateJson(sfn.QueryLanguage_JSON_PATH)
	assert.Equal(t, "JSONata", inPath["QueryLanguage"])
	assert.Equal(t, partitionArn(":states:::aws-sdk:s3:putObject"), resolved(stack, inPath["Resource"]), "the service is lowercased")

	graph := sfn.NewStateGraph(first, jsii.String("g"))
	var got []any
	for _, st := range *graph.PolicyStatements() {
		got = append(got, resolved(stack, st.ToStatementJson()))
	}
	assert.Equal(t, []any{
		map[string]any{"Action": "rds:DescribeDBSnapshots", "Effect": "Allow", "Resource": "arn:aws:rds:eu-west-1:111122223333:snapshot:*"},
		map[string]any{"Action": "s3:PutObject", "Effect": "Allow", "Resource": "*"},
		map[string]any{"Action": "s3:GetObject", "Effect": "Allow", "Resource": "arn:aws:s3:::b/*"},
	}, got)
}

func TestStartExecutionSync_waitsForTheChildAndMayWatchIt(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Start"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111122223333"), Region: jsii.String("eu-west-1")},
	})
	child := sfn.StateMachine_FromStateMachineArn(stack, jsii.String("Child"), jsii.String("arn:aws:states:eu-west-1:111122223333:stateMachine:child"))
	task := sfnkit.StartExecutionSync(stack, "Run child", sfnkit.StartExecution{StateMachine: child, Input: "{% $states.input %}", Name: "{% $id %}"})

	st := resolved(stack, task.ToStateJson(sfn.QueryLanguage_JSONATA)).(map[string]any)
	assert.Equal(t, partitionArn(":states:::states:startExecution.sync:2"), st["Resource"])
	assert.Equal(t, map[string]any{"Input": "{% $states.input %}", "Name": "{% $id %}", "StateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:child"}, st["Arguments"])

	var actions []any
	for _, s := range *sfn.NewStateGraph(task, jsii.String("g")).PolicyStatements() {
		j := resolved(stack, s.ToStatementJson()).(map[string]any)
		actions = append(actions, j["Action"], j["Resource"])
	}
	assert.Equal(t, []any{
		"states:StartExecution", "arn:aws:states:eu-west-1:111122223333:stateMachine:child",
		[]any{"states:DescribeExecution", "states:StopExecution"}, partitionArn(":states:eu-west-1:111122223333:execution:child*"),
		[]any{"events:PutTargets", "events:PutRule", "events:DescribeRule"}, partitionArn(":events:eu-west-1:111122223333:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"),
	}, actions)
}

func TestStateMachineTarget_startsTheMachineWithARoleAndDeadLetterQueue(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Target"), nil)
	sm := sfn.NewStateMachine(stack, jsii.String("Machine"), &sfn.StateMachineProps{
		DefinitionBody: sfn.DefinitionBody_FromChainable(sfn.NewPass(stack, jsii.String("P"), nil)),
	})
	dlq := awssqs.NewQueue(stack, jsii.String("Dlq"), nil)
	awsevents.NewRule(stack, jsii.String("Rule"), &awsevents.RuleProps{
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings("aws.rds")},
		Targets: &[]awsevents.IRuleTarget{sfnkit.StateMachineTarget(sm, sfnkit.TargetProps{
			DeadLetterQueue: dlq, RetryAttempts: 185, MaxEventAge: awscdk.Duration_Hours(jsii.Number(24)),
		})},
	})
	tpl := assertions.Template_FromStack(stack, nil)
	tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
		"Targets": []any{map[string]any{
			"Arn":              map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Machine"))},
			"RoleArn":          map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^MachineEventsRole")), "Arn"}},
			"RetryPolicy":      map[string]any{"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
			"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^Dlq")), "Arn"}}},
		}},
	})
	tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": []any{map[string]any{"Action": "states:StartExecution", "Effect": "Allow", "Resource": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Machine"))}}}},
		"Roles":          []any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^MachineEventsRole"))}},
	})
	tpl.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": []any{map[string]any{
			"Sid": assertions.Match_StringLikeRegexp(jsii.String("^AllowEventRuleTargetRule[0-9A-F]{8}$")), "Action": "sqs:SendMessage", "Effect": "Allow",
			"Principal": map[string]any{"Service": "events.amazonaws.com"},
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^Rule")), "Arn"}}}},
		}}},
	})
	require.NotNil(t, sm.Node().TryFindChild(jsii.String("EventsRole")), "the role is a child of the state machine, as aws-events-targets makes it")
}
