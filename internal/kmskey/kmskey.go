// Package kmskey creates the project's customer-managed KMS keys the same
// way everywhere: rotation on, and grants only for AWS resources.
package kmskey

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// New returns a key with rotation enabled whose policy denies kms:CreateGrant
// unless the grant is for an AWS resource (as RDS creates for
// StartExportTask) or made by an AWS service. removal may be "" for CDK's
// default (RETAIN).
func New(scope constructs.Construct, id, description string, removal awscdk.RemovalPolicy) awskms.Key {
	props := &awskms.KeyProps{
		Description:       jsii.String(description),
		EnableKeyRotation: jsii.Bool(true),
	}
	if removal != "" {
		props.RemovalPolicy = removal
		if removal == awscdk.RemovalPolicy_DESTROY {
			props.PendingWindow = awscdk.Duration_Days(jsii.Number(7))
		}
	}
	key := awskms.NewKey(scope, jsii.String(id), props)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DenyGrantsExceptForAWSResources"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"BoolIfExists": map[string]interface{}{
				"kms:GrantIsForAWSResource": "false",
				"aws:PrincipalIsAWSService": "false",
			},
		},
	}), jsii.Bool(false))
	return key
}
