// Package nag scopes cdk-nag suppressions to one resource, each with the
// reason the finding is accepted, for the project's constructs.
package nag

import (
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Suppress accepts rule id on construct c (not its children) for reason.
// appliesTo narrows the suppression to the listed findings: plain strings
// match exactly, strings starting with "/" are regular expressions.
func Suppress(c constructs.IConstruct, id, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		list := make([]interface{}, len(appliesTo))
		for i, a := range appliesTo {
			if strings.HasPrefix(a, "/") {
				list[i] = &cdknag.RegexAppliesTo{Regex: jsii.String(a)}
			} else {
				list[i] = a
			}
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(false))
}

// Child returns c's child id (e.g. a role's "DefaultPolicy"), or nil.
func Child(c constructs.IConstruct, id string) constructs.IConstruct {
	return c.Node().TryFindChild(jsii.String(id))
}

// Findings of AwsSolutions-IAM5 that the constructs accept, as appliesTo
// patterns. The partition is <AWS::Partition>, or the literal one when the
// stack's region is known (feature flag @aws-cdk/core:enablePartitionLiterals).
const (
	// AnyResource is Resource "*": log delivery and X-Ray actions, which
	// have no resource to scope to.
	AnyResource = "Resource::*"
	// ObjectsOfBucket is "<bucket ARN>/*" or "<bucket ARN>/<prefix>/*".
	ObjectsOfBucket = `/^Resource::(<[A-Za-z0-9]+\.Arn>|arn:(<AWS::Partition>|aws[a-z-]*):s3:::[a-z0-9.-]+)(\/[^*]*)?\/\*$/`
	// ExecutionsOfStateMachine is the executions of one state machine, as
	// CDK grants them for Distributed Map and .sync.
	ExecutionsOfStateMachine = `/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):states:.+:execution:.*\*$/`
	// SnapshotsOfAccount is every DB (cluster) snapshot of the account and
	// region: a new automated snapshot name every day.
	SnapshotsOfAccount = `/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):rds:.+:(cluster-)?snapshot:\*$/`
)
