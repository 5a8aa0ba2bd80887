package monitoring_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/constructs/monitoring"
	"github.com/snapshotlake/snapshotlake/internal/cdktest"
)

func TestMonitoring_alertsOnFailedExecutionsAndExports(t *testing.T) {
	// GIVEN two state machines WHEN Monitoring watches them
	stack := cdktest.NewStack("Ops")
	export := sfn.StateMachine_FromStateMachineArn(stack, jsii.String("E"), jsii.String("arn:aws:states:ap-northeast-1:111122223333:stateMachine:export"))
	cp := sfn.StateMachine_FromStateMachineArn(stack, jsii.String("C"), jsii.String("arn:aws:states:ap-northeast-1:111122223333:stateMachine:copy"))
	m, err := monitoring.New(stack, "Monitoring", &monitoring.Props{
		StateMachines: map[string]sfn.IStateMachine{"Export": export, "Copy": cp},
		Emails:        []string{"ops@example.com"},
	})
	require.NoError(t, err)
	require.NotNil(t, m.Topic())
	tpl := cdktest.FromStack(stack)
	topic, err := tpl.ByPath("AWS::SNS::Topic", "Monitoring/Topic")
	require.NoError(t, err)
	key, err := tpl.ByPath("AWS::KMS::Key", "Monitoring/Key")
	require.NoError(t, err)

	// THEN the topic is encrypted with its own rotating key that the publishers may use
	assert.Equal(t, cdktest.Arn(key), tpl.Props(topic)["KmsMasterKeyId"])
	var keyPublishers any
	for _, s := range tpl.ResourcePolicyStatements(key, "KeyPolicy") {
		if s.Sid == "AllowAlertPublishers" {
			keyPublishers = s.Principal
		}
	}
	// sorted: @aws-cdk/aws-iam:minimizePolicies orders principals
	publishers := map[string]any{"Service": []any{"cloudwatch.amazonaws.com", "events.amazonaws.com"}}
	assert.Equal(t, publishers, keyPublishers)
	// AND EventBridge and CloudWatch may publish, from this account only
	policies := tpl.OfType("AWS::SNS::TopicPolicy")
	require.Len(t, policies, 1)
	var publish *cdktest.Statement
	for _, s := range tpl.ResourcePolicyStatements(policies[0], "PolicyDocument") {
		if s.Sid == "AllowAlertPublishers" {
			publish = &s
		}
	}
	require.NotNil(t, publish)
	assert.Equal(t, publishers, publish.Principal)
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": "111122223333"}}, publish.Condition)
	// AND three alarms per state machine, each notifying the topic
	alarms := tpl.OfType("AWS::CloudWatch::Alarm")
	require.Len(t, alarms, 6)
	metrics := map[string]int{}
	for _, a := range alarms {
		p := tpl.Props(a)
		metrics[p["MetricName"].(string)]++
		assert.Equal(t, []any{cdktest.Ref(topic)}, p["AlarmActions"])
		assert.EqualValues(t, 1, p["Threshold"])
	}
	assert.Equal(t, map[string]int{"ExecutionsFailed": 2, "ExecutionsTimedOut": 2, "ExecutionsAborted": 2}, metrics)
	// AND rules forward failed executions of these state machines and failed or canceled exports
	rules := map[string]map[string]any{}
	for _, r := range tpl.OfType("AWS::Events::Rule") {
		p := tpl.Props(r)
		rules[cdktest.As[string](t, p["EventPattern"], "source", 0)] = p
		assert.Equal(t, cdktest.Ref(topic), cdktest.At(t, p["Targets"], 0, "Arn"))
	}
	states := cdktest.As[map[string]any](t, rules["aws.states"]["EventPattern"], "detail")
	assert.Equal(t, []any{"FAILED", "TIMED_OUT", "ABORTED"}, states["status"])
	assert.ElementsMatch(t, []any{"arn:aws:states:ap-northeast-1:111122223333:stateMachine:export", "arn:aws:states:ap-northeast-1:111122223333:stateMachine:copy"}, states["stateMachineArn"])
	assert.Equal(t, []any{"RDS-EVENT-0159", "RDS-EVENT-0160", "RDS-EVENT-0162", "RDS-EVENT-0163"}, cdktest.At(t, rules["aws.rds"]["EventPattern"], "detail", "EventID"))
	// AND the e-mail address is subscribed
	subs := tpl.OfType("AWS::SNS::Subscription")
	require.Len(t, subs, 1)
	assert.Equal(t, "ops@example.com", tpl.Props(subs[0])["Endpoint"])
}

func TestNew_rejectsBadProps(t *testing.T) {
	stack := cdktest.NewStack("Bad")
	_, err := monitoring.New(stack, "A", &monitoring.Props{})
	assert.ErrorContains(t, err, "StateMachines is required")
	sm := sfn.StateMachine_FromStateMachineArn(stack, jsii.String("S"), jsii.String("arn:aws:states:ap-northeast-1:111122223333:stateMachine:x"))
	_, err = monitoring.New(stack, "B", &monitoring.Props{StateMachines: map[string]sfn.IStateMachine{"X": sm}, Emails: []string{"not-an-address"}})
	assert.ErrorContains(t, err, `got "not-an-address"`)
}

func TestNew_reportsEveryBadPropAtOnce(t *testing.T) {
	// GIVEN no state machine and two bad e-mail addresses WHEN Monitoring is created
	_, err := monitoring.New(cdktest.NewStack("AllBad"), "M", &monitoring.Props{Emails: []string{"ops", "on-call@"}})
	// THEN the one error names all three, each on its own line
	require.Error(t, err)
	assert.Equal(t, []string{
		"monitoring: StateMachines is required",
		`monitoring: Emails must be an e-mail address, got "ops"`,
		`monitoring: Emails must be an e-mail address, got "on-call@"`,
	}, strings.Split(err.Error(), "\n"))
}

func TestNew_bringYourOwnTopic(t *testing.T) {
	stack := cdktest.NewStack("Byo")
	topic := awssns.Topic_FromTopicArn(stack, jsii.String("T"), jsii.String("arn:aws:sns:ap-northeast-1:111122223333:on-call"))
	sm := sfn.StateMachine_FromStateMachineArn(stack, jsii.String("S"), jsii.String("arn:aws:states:ap-northeast-1:111122223333:stateMachine:x"))
	m, err := monitoring.New(stack, "M", &monitoring.Props{StateMachines: map[string]sfn.IStateMachine{"X": sm}, Topic: topic})
	require.NoError(t, err)
	assert.Nil(t, m.Key())
	tpl := cdktest.FromStack(stack)
	assert.Empty(t, tpl.OfType("AWS::SNS::Topic"))
	assert.Empty(t, tpl.OfType("AWS::KMS::Key"))
	for _, a := range tpl.OfType("AWS::CloudWatch::Alarm") {
		assert.Equal(t, []any{"arn:aws:sns:ap-northeast-1:111122223333:on-call"}, tpl.Props(a)["AlarmActions"])
	}
	assert.Len(t, m.Alarms(), 3)
	assert.Len(t, m.Rules(), 2)
}
