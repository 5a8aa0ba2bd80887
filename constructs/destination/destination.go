package destination

import (
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/internal/nag"
	"github.com/snapshotlake/snapshotlake/internal/secure"

	"github.com/snapshotlake/snapshotlake/internal/kmskey"
)

// DefaultCopyRoleNamePrefix starts the names of the copy roles S3Copy
// creates in source stacks (see s3copy.Props.RoleNamePrefix).
const DefaultCopyRoleNamePrefix = "snapshotlake-copy"

// Props configures a Destination.
type Props struct {
	// BucketName of the analytics bucket; sources need it before they deploy.
	// Default: a generated name.
	BucketName string
	// SourceAccounts whose copy roles may write. Default: none (set this or
	// OrganizationID).
	SourceAccounts []string
	// OrganizationID (o-…) whose accounts' copy roles may write.
	// Default: none (set this or SourceAccounts).
	OrganizationID string
	// CopyRoleNamePrefix is how the source accounts' copy roles are named.
	// Default: DefaultCopyRoleNamePrefix.
	CopyRoleNamePrefix string
	// RemovalPolicy of the bucket and key. Default: RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
}

// Destination is the analytics bucket and key.
type Destination struct {
	constructs.Construct
	bucket awss3.Bucket
	key    awskms.Key
}

// Bucket returns the analytics bucket.
func (d *Destination) Bucket() awss3.Bucket { return d.bucket }

// Key returns the bucket's KMS key; sources take its full ARN.
func (d *Destination) Key() awskms.Key { return d.key }

// Actions a copy needs on the destination, and nothing more.
var (
	// BucketActions on the destination objects: CopyObject and the
	// multipart copy's Create/UploadPartCopy/Complete are s3:PutObject.
	BucketActions = []string{"s3:PutObject", "s3:AbortMultipartUpload"}
	// KeyActions: encrypt new objects, and read parts back for multipart.
	KeyActions = []string{"kms:GenerateDataKey", "kms:Decrypt"}
)

// New creates a Destination. It returns an error naming the bad value when
// props are invalid.
func New(scope constructs.Construct, id string, props *Props) (*Destination, error) {
	p := Props{}
	if props != nil {
		p = *props
	}
	if p.CopyRoleNamePrefix == "" {
		p.CopyRoleNamePrefix = DefaultCopyRoleNamePrefix
	}
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	if len(p.SourceAccounts) == 0 && p.OrganizationID == "" {
		return nil, fmt.Errorf("destination: set SourceAccounts or OrganizationID: no source could write")
	}
	var errs []error
	for _, a := range p.SourceAccounts {
		errs = append(errs, secure.AccountID("destination: SourceAccounts", a))
	}
	if p.OrganizationID != "" {
		errs = append(errs, secure.OrganizationID("destination: OrganizationID", p.OrganizationID))
	}
	errs = append(errs, secure.RoleNamePrefix("destination: CopyRoleNamePrefix", p.CopyRoleNamePrefix))
	if p.BucketName != "" {
		errs = append(errs, secure.BucketName("destination: BucketName", p.BucketName))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	d := &Destination{}
	constructs.NewConstruct_Override(d, scope, jsii.String(id))
	d.key = kmskey.New(d, "Key", "Encrypts the RDS snapshot exports in the analytics bucket", p.RemovalPolicy)
	bucketProps := secure.BucketProps(d.key)
	bucketProps.Versioned = jsii.Bool(true)
	bucketProps.RemovalPolicy = p.RemovalPolicy
	bucketProps.LifecycleRules = &[]*awss3.LifecycleRule{{
		Id:                                  jsii.String("AbortIncompleteUploads"),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	}}
	if p.BucketName != "" {
		bucketProps.BucketName = jsii.String(p.BucketName)
	}
	d.bucket = awss3.NewBucket(d, jsii.String("Bucket"), bucketProps)
	nag.Suppress(d.bucket, "AwsSolutions-S1", "server access logs go to a log bucket the organisation runs per account and region, or are replaced by CloudTrail S3 data events; see the README's operations section")

	for _, admit := range admissions(p) {
		d.bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AdmitCopyRoles" + admit.sid),
			Principals: &[]awsiam.IPrincipal{admit.principal},
			Actions:    jsii.Strings(BucketActions...),
			Resources:  &[]*string{d.bucket.ArnForObjects(jsii.String("*"))},
			Conditions: &admit.conditions,
		}))
		keyConditions := map[string]interface{}{}
		for k, v := range admit.conditions {
			keyConditions[k] = v
		}
		keyConditions["StringEquals"] = mergeMap(keyConditions["StringEquals"], map[string]interface{}{
			"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("s3."), awscdk.Aws_REGION(), jsii.String(".amazonaws.com")}),
		})
		d.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AdmitCopyRoles" + admit.sid),
			Principals: &[]awsiam.IPrincipal{admit.principal},
			Actions:    jsii.Strings(KeyActions...),
			Resources:  jsii.Strings("*"),
			Conditions: &keyConditions,
		}), jsii.Bool(false))
	}
	for name, value := range map[string]*string{"BucketName": d.bucket.BucketName(), "KeyArn": d.key.KeyArn()} {
		awscdk.NewCfnOutput(d, jsii.String(name), &awscdk.CfnOutputProps{Value: value})
	}
	return d, nil
}

type admission struct {
	sid        string
	principal  awsiam.IPrincipal
	conditions map[string]interface{}
}

// admissions are the policy statements' principals and conditions: the
// copy roles of each source account, or of every account of the
// organization, by role name.
func admissions(p Props) []admission {
	var out []admission
	if len(p.SourceAccounts) > 0 {
		var principals []awsiam.IPrincipal
		var roleArns []string
		for _, a := range p.SourceAccounts {
			principals = append(principals, awsiam.NewAccountPrincipal(jsii.String(a)))
			roleArns = append(roleArns, fmt.Sprintf("arn:aws:iam::%s:role/%s-*", a, p.CopyRoleNamePrefix))
		}
		out = append(out, admission{
			sid:        "OfSourceAccounts",
			principal:  awsiam.NewCompositePrincipal(principals...),
			conditions: map[string]interface{}{"ArnLike": map[string]interface{}{"aws:PrincipalArn": roleArns}},
		})
	}
	if p.OrganizationID != "" {
		out = append(out, admission{
			sid:       "OfOrganization",
			principal: awsiam.NewAnyPrincipal(),
			conditions: map[string]interface{}{
				"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": p.OrganizationID},
				"ArnLike":      map[string]interface{}{"aws:PrincipalArn": fmt.Sprintf("arn:aws:iam::*:role/%s-*", p.CopyRoleNamePrefix)},
			},
		})
	}
	return out
}

func mergeMap(a interface{}, b map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	if m, ok := a.(map[string]interface{}); ok {
		for k, v := range m {
			out[k] = v
		}
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
