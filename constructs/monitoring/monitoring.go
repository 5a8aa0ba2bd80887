package monitoring

import (
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/internal/kmskey"
	"github.com/snapshotlake/snapshotlake/internal/secure"
)

// ExportFailureEventIDs are the RDS events that mean an export did not
// finish (RDS-EVENT-0159/0160 for DB snapshots, 0162/0163 for cluster
// snapshots). A new slice on every call.
func ExportFailureEventIDs() []string {
	return []string{"RDS-EVENT-0159", "RDS-EVENT-0160", "RDS-EVENT-0162", "RDS-EVENT-0163"}
}

// Props configures Monitoring.
type Props struct {
	// StateMachines to watch, by a short name used in construct ids and alarm
	// names ("Export", "Copy", ...). Required.
	StateMachines map[string]sfn.IStateMachine
	// Emails subscribed to the topic. Default: none (subscribe later).
	Emails []string
	// Topic receives the alerts; a given topic must let EventBridge and
	// CloudWatch publish to it. Default: a new topic, encrypted with a new
	// key (rotation on), that EventBridge and CloudWatch of this account may
	// publish to.
	Topic awssns.ITopic
	// WatchExportEvents also forwards RDS export failed / canceled events.
	// Default: true.
	WatchExportEvents *bool
}

// Monitoring is the alert topic, its key, the alarms and the rules.
type Monitoring struct {
	constructs.Construct
	topic  awssns.ITopic
	key    awskms.Key
	alarms []awscloudwatch.Alarm
	rules  []awsevents.Rule
}

// Topic returns the alert topic.
func (m *Monitoring) Topic() awssns.ITopic { return m.topic }

// Key returns the topic's KMS key, nil when Props.Topic was given.
func (m *Monitoring) Key() awskms.Key { return m.key }

// Alarms returns the alarms, three per state machine.
func (m *Monitoring) Alarms() []awscloudwatch.Alarm { return m.alarms }

// Rules returns the EventBridge rules that publish to the topic.
func (m *Monitoring) Rules() []awsevents.Rule { return m.rules }

// New creates Monitoring. When props are invalid it returns one error
// joining a message per bad prop, each naming the bad value.
func New(scope constructs.Construct, id string, props *Props) (*Monitoring, error) {
	if props == nil {
		props = &Props{}
	}
	var errs []error
	if len(props.StateMachines) == 0 {
		errs = append(errs, fmt.Errorf("monitoring: StateMachines is required"))
	}
	for _, e := range props.Emails {
		if err := secure.Email("monitoring: Emails", e); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m := &Monitoring{}
	constructs.NewConstruct_Override(m, scope, jsii.String(id))

	if props.Topic != nil {
		m.topic = props.Topic
	} else {
		m.newTopic()
	}
	for _, e := range props.Emails {
		m.topic.AddSubscription(&emailSubscription{address: e})
	}

	names := make([]string, 0, len(props.StateMachines))
	arns := make([]*string, 0, len(props.StateMachines))
	for name := range props.StateMachines {
		names = append(names, name)
	}
	sort.Strings(names)
	action := &topicAction{topic: m.topic}
	for _, name := range names {
		sm := props.StateMachines[name]
		arns = append(arns, sm.StateMachineArn())
		for _, metric := range []struct {
			id     string
			metric awscloudwatch.Metric
		}{
			{"Failed", sm.MetricFailed(nil)},
			{"TimedOut", sm.MetricTimedOut(nil)},
			{"Aborted", sm.MetricAborted(nil)},
		} {
			alarm := awscloudwatch.NewAlarm(m, jsii.String(name+"Executions"+metric.id), &awscloudwatch.AlarmProps{
				AlarmDescription:   jsii.String(fmt.Sprintf("%s state machine: an execution %s", name, map[string]string{"Failed": "failed", "TimedOut": "timed out", "Aborted": "was aborted"}[metric.id])),
				Metric:             metric.metric.With(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}),
				Threshold:          jsii.Number(1),
				EvaluationPeriods:  jsii.Number(1),
				ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
				TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			})
			alarm.AddAlarmAction(action)
			m.alarms = append(m.alarms, alarm)
		}
	}

	target := &topicTarget{topic: m.topic}
	m.rules = append(m.rules, awsevents.NewRule(m, jsii.String("ExecutionNotSucceeded"), &awsevents.RuleProps{
		Description: jsii.String("A snapshot export or copy execution failed, timed out or was aborted"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.states"),
			DetailType: jsii.Strings("Step Functions Execution Status Change"),
			Detail: &map[string]interface{}{
				"status":          []string{"FAILED", "TIMED_OUT", "ABORTED"},
				"stateMachineArn": arns,
			},
		},
		Targets: &[]awsevents.IRuleTarget{target},
	}))
	if props.WatchExportEvents == nil || *props.WatchExportEvents {
		m.rules = append(m.rules, awsevents.NewRule(m, jsii.String("RdsExportNotCompleted"), &awsevents.RuleProps{
			Description: jsii.String("RDS reports a snapshot export failed or canceled"),
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings("aws.rds"),
				DetailType: jsii.Strings("RDS DB Snapshot Event", "RDS DB Cluster Snapshot Event"),
				Detail:     &map[string]interface{}{"EventID": ExportFailureEventIDs()},
			},
			Targets: &[]awsevents.IRuleTarget{target},
		}))
	}
	return m, nil
}

// newTopic creates the encrypted alert topic that EventBridge and
// CloudWatch of this account may publish to.
func (m *Monitoring) newTopic() {
	m.key = kmskey.New(m, "Key", "Encrypts the snapshot export alert topic", "")
	publishers := []awsiam.IPrincipal{
		awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil),
	}
	// SNS needs the publishing services to be able to use the key.
	m.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowAlertPublishers"),
		Principals: &publishers,
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
	}), jsii.Bool(false))
	topic := awssns.NewTopic(m, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("RDS snapshot export alerts"),
		MasterKey:   m.key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowAlertPublishers"),
		Principals: &publishers,
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}))
	m.topic = topic
}

// The topic's subscriptions, alarm action and rule target, as
// aws-sns-subscriptions, aws-cloudwatch-actions and aws-events-targets
// (aws-cdk-lib 2.276.0) make them; written here because those Go packages
// pull in dozens of others (see constructs/internal/sfnkit).

// emailSubscription subscribes an e-mail address; its construct id is the
// address, under the topic.
// (A struct: jsii passes Go values of string kind as strings.)
type emailSubscription struct{ address string }

// Bind is called by the topic.
func (e *emailSubscription) Bind(awssns.ITopic) *awssns.TopicSubscriptionConfig {
	return &awssns.TopicSubscriptionConfig{
		SubscriberId: jsii.String(e.address),
		Endpoint:     jsii.String(e.address),
		Protocol:     awssns.SubscriptionProtocol_EMAIL,
	}
}

// topicAction publishes an alarm's state changes to the topic.
type topicAction struct{ topic awssns.ITopic }

// Bind is called by the alarm.
func (a *topicAction) Bind(constructs.Construct, awscloudwatch.IAlarm) *awscloudwatch.AlarmActionConfig {
	return &awscloudwatch.AlarmActionConfig{AlarmActionArn: a.topic.TopicArn()}
}

// topicTarget publishes a rule's events to the topic, which EventBridge is
// allowed to publish to by the topic's policy.
type topicTarget struct{ topic awssns.ITopic }

// Bind is called by the rule.
func (t *topicTarget) Bind(interfacesawsevents.IRuleRef, *string) *awsevents.RuleTargetConfig {
	t.topic.GrantPublish(awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil))
	return &awsevents.RuleTargetConfig{Arn: t.topic.TopicArn(), TargetResource: t.topic}
}
