package destination

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/constructs/internal/sfnkit"
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
	// SourceRegions are the regions of the source stacks: each names its three
	// copy roles "<prefix>-<region>", "<prefix>-table-<region>" and
	// "<prefix>-multipart-<region>", and
	// exactly those are admitted. Default: this stack's region.
	SourceRegions []string
	// EventBusName of the bus the sources put their copied-export events on.
	// Default: DefaultEventBusName.
	EventBusName string
	// GoogleTransferSubjectID is the subject ID of the Google-managed
	// service account of Storage Transfer Service (googleServiceAccounts.get
	// returns it as subjectId). When set, a role it may assume through web
	// identity federation reads the bucket, for a transfer to Cloud Storage.
	// Default: none (no hand-off to Google).
	GoogleTransferSubjectID string
	// GoogleTransferPrefix limits what the Storage Transfer role may list and
	// read to keys under it, e.g. "rds/". Default: the whole bucket.
	GoogleTransferPrefix string
	// GoogleTransferEvents adds an SQS queue fed by the bucket's
	// object-created notifications, which the Storage Transfer role may
	// read, for an event-driven transfer. Needs GoogleTransferSubjectID.
	// Default: false.
	GoogleTransferEvents bool
	// RemovalPolicy of the bucket and key. Default: RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
}

// DefaultEventBusName names the destination's event bus.
const DefaultEventBusName = "snapshotlake"

// Destination is the analytics bucket, its key and the event bus.
type Destination struct {
	constructs.Construct
	bucket        awss3.Bucket
	key           awskms.Key
	bus           awsevents.EventBus
	transferRole  awsiam.Role
	transferQueue awssqs.Queue
}

// EventBus returns the bus the sources announce their copies on.
func (d *Destination) EventBus() awsevents.EventBus { return d.bus }

// TransferRole returns the role Storage Transfer Service assumes, nil unless
// Props.GoogleTransferSubjectID is set.
func (d *Destination) TransferRole() awsiam.Role { return d.transferRole }

// TransferQueue returns the event-driven transfer's queue, nil unless
// Props.GoogleTransferEvents is set.
func (d *Destination) TransferQueue() awssqs.Queue { return d.transferQueue }

// Bucket returns the analytics bucket.
func (d *Destination) Bucket() awss3.Bucket { return d.bucket }

// Key returns the bucket's KMS key; sources take its full ARN.
func (d *Destination) Key() awskms.Key { return d.key }

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	busNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)
	// subjectRE: a Google service account's unique ID is 21 digits.
	subjectRE = regexp.MustCompile(`^[0-9]{1,32}$`)
)

// BucketActions are what a copy needs on the destination objects, and
// nothing more: CopyObject and the multipart copy's
// Create/UploadPartCopy/Complete are s3:PutObject. A new slice on every call.
func BucketActions() []string { return []string{"s3:PutObject", "s3:AbortMultipartUpload"} }

// KeyActions are what a copy needs on the destination key: encrypt new
// objects, and read parts back for multipart. A new slice on every call.
func KeyActions() []string { return []string{"kms:GenerateDataKey", "kms:Decrypt"} }

// New creates a Destination. When props are invalid it returns one error
// joining a message per bad prop, each naming the bad value.
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
	var errs []error
	if len(p.SourceAccounts) == 0 && p.OrganizationID == "" {
		errs = append(errs, fmt.Errorf("destination: set SourceAccounts or OrganizationID: no source could write"))
	}
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
	for _, r := range p.SourceRegions {
		if !regionRE.MatchString(r) {
			errs = append(errs, fmt.Errorf("destination: SourceRegions must be AWS regions such as ap-northeast-1, got %q", r))
		}
	}
	if p.EventBusName == "" {
		p.EventBusName = DefaultEventBusName
	}
	if !busNameRE.MatchString(p.EventBusName) || p.EventBusName == "default" {
		errs = append(errs, fmt.Errorf("destination: EventBusName must be 1-256 letters, digits, '.', '_' or '-' and not \"default\", got %q", p.EventBusName))
	}
	if p.GoogleTransferSubjectID != "" && !subjectRE.MatchString(p.GoogleTransferSubjectID) {
		errs = append(errs, fmt.Errorf("destination: GoogleTransferSubjectID must be the numeric subjectId of the Storage Transfer service account, got %q", p.GoogleTransferSubjectID))
	}
	if p.GoogleTransferSubjectID == "" && (p.GoogleTransferPrefix != "" || p.GoogleTransferEvents) {
		errs = append(errs, fmt.Errorf("destination: GoogleTransferPrefix and GoogleTransferEvents need GoogleTransferSubjectID"))
	}
	if p.GoogleTransferEvents && (p.BucketName == "" || sfnkit.Unresolved(p.BucketName)) {
		errs = append(errs, fmt.Errorf("destination: GoogleTransferEvents needs a literal BucketName (the queue policy names the bucket before it exists)"))
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

	if len(p.SourceRegions) == 0 {
		p.SourceRegions = []string{*awscdk.Stack_Of(d).Region()}
	}
	for _, admit := range admissions(p) {
		d.bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AdmitCopyRoles" + admit.sid),
			Principals: &[]awsiam.IPrincipal{admit.principal},
			Actions:    jsii.Strings(BucketActions()...),
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
			Actions:    jsii.Strings(KeyActions()...),
			Resources:  jsii.Strings("*"),
			Conditions: &keyConditions,
		}), jsii.Bool(false))
	}
	d.newEventBus(p)
	outputs := map[string]*string{"BucketName": d.bucket.BucketName(), "KeyArn": d.key.KeyArn(), "EventBusArn": d.bus.EventBusArn()}
	if p.GoogleTransferSubjectID != "" {
		d.newGoogleTransfer(p)
		outputs["TransferRoleArn"] = d.transferRole.RoleArn()
		if d.transferQueue != nil {
			outputs["TransferQueueArn"] = d.transferQueue.QueueArn()
		}
	}
	for name, value := range outputs {
		awscdk.NewCfnOutput(d, jsii.String(name), &awscdk.CfnOutputProps{Value: value})
	}
	return d, nil
}

// newEventBus creates the bus the sources put their copied-export events
// on, admitting the same accounts as the bucket (PutEvents only).
func (d *Destination) newEventBus(p Props) {
	d.bus = awsevents.NewEventBus(d, jsii.String("EventBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(p.EventBusName),
		Description:  jsii.String("RDS snapshot exports copied into the analytics bucket, announced by the source accounts"),
	})
	if len(p.SourceAccounts) > 0 {
		var principals []awsiam.IPrincipal
		for _, a := range p.SourceAccounts {
			principals = append(principals, awsiam.NewAccountPrincipal(jsii.String(a)))
		}
		d.bus.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AdmitSourceAccounts"),
			Principals: &principals,
			Actions:    jsii.Strings("events:PutEvents"),
			Resources:  &[]*string{d.bus.EventBusArn()},
		}))
	}
	if p.OrganizationID != "" {
		d.bus.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AdmitOrganization"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
			Actions:    jsii.Strings("events:PutEvents"),
			Resources:  &[]*string{d.bus.EventBusArn()},
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": p.OrganizationID}},
		}))
	}
}

type admission struct {
	sid        string
	principal  awsiam.IPrincipal
	conditions map[string]interface{}
}

// CopyRoleNames are the names of the three copy roles a source stack in
// region creates (s3copy.Props.RoleNamePrefix): "<prefix>-<region>",
// "<prefix>-table-<region>" and "<prefix>-multipart-<region>".
func CopyRoleNames(prefix, region string) []string {
	return []string{prefix + "-" + region, prefix + "-table-" + region, prefix + "-multipart-" + region}
}

// admissions are the policy statements' principals and conditions: exactly
// the copy roles of each source account, or the same role names in every
// account of the organization. The roles are named in an aws:PrincipalArn
// condition, not as principals, so that the destination can be deployed
// before the sources create them. ARNs are partition-aware.
func admissions(p Props) []admission {
	regions := p.SourceRegions
	roleArn := func(account string) []interface{} {
		var out []interface{}
		for _, r := range regions {
			for _, name := range CopyRoleNames(p.CopyRoleNamePrefix, r) {
				out = append(out, awscdk.Fn_Join(jsii.String(""), &[]*string{
					jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":iam::" + account + ":role/" + name),
				}))
			}
		}
		return out
	}
	var out []admission
	if len(p.SourceAccounts) > 0 {
		var principals []awsiam.IPrincipal
		var roleArns []interface{}
		for _, a := range p.SourceAccounts {
			principals = append(principals, awsiam.NewAccountPrincipal(jsii.String(a)))
			roleArns = append(roleArns, roleArn(a)...)
		}
		out = append(out, admission{
			sid:        "OfSourceAccounts",
			principal:  awsiam.NewCompositePrincipal(principals...),
			conditions: map[string]interface{}{"ArnEquals": map[string]interface{}{"aws:PrincipalArn": roleArns}},
		})
	}
	if p.OrganizationID != "" {
		out = append(out, admission{
			sid:       "OfOrganization",
			principal: awsiam.NewAnyPrincipal(),
			conditions: map[string]interface{}{
				"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": p.OrganizationID},
				// Any account of the organization, these role names only.
				"ArnLike": map[string]interface{}{"aws:PrincipalArn": roleArn("*")},
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

// GoogleTransferQueueActions are what Storage Transfer Service needs on the
// queue of an event-driven transfer (Google's "Event-driven transfers from
// AWS S3"). A new slice on every call.
func GoogleTransferQueueActions() []string {
	return []string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}
}

// newGoogleTransfer creates the role Storage Transfer Service assumes with
// AssumeRoleWithWebIdentity (Google's "Configure access to a source:
// Amazon S3", federated identity: trusted principal accounts.google.com,
// condition accounts.google.com:sub = the service account's subject ID) and
// the permissions Google lists for an S3 source: s3:ListBucket and
// s3:GetObject, plus kms:Decrypt through S3 for SSE-KMS objects. With
// GoogleTransferEvents, the queue the bucket's object-created notifications
// go to.
func (d *Destination) newGoogleTransfer(p Props) {
	d.transferRole = awsiam.NewRole(d, jsii.String("TransferRole"), &awsiam.RoleProps{
		Description: jsii.String("Assumed by Google Storage Transfer Service to copy the analytics bucket to Cloud Storage"),
		AssumedBy: awsiam.NewWebIdentityPrincipal(jsii.String("accounts.google.com"), &map[string]interface{}{
			"StringEquals": map[string]interface{}{"accounts.google.com:sub": p.GoogleTransferSubjectID},
		}),
	})
	list := &awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: &[]*string{d.bucket.BucketArn()},
	}
	if p.GoogleTransferPrefix != "" {
		list.Conditions = &map[string]interface{}{"StringLike": map[string]interface{}{"s3:prefix": p.GoogleTransferPrefix + "*"}}
	}
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(list),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("s3:GetObject"),
			Resources: &[]*string{d.bucket.ArnForObjects(jsii.String(p.GoogleTransferPrefix + "*"))},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{d.key.KeyArn()},
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{
				"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("s3."), awscdk.Aws_REGION(), jsii.String(".amazonaws.com")}),
			}},
		}),
	}
	if p.GoogleTransferEvents {
		d.newTransferQueue(p)
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings(GoogleTransferQueueActions()...),
			Resources: &[]*string{d.transferQueue.QueueArn()},
		}))
	}
	policy := awsiam.NewPolicy(d, jsii.String("TransferPolicy"), &awsiam.PolicyProps{Statements: &statements, Roles: &[]awsiam.IRole{d.transferRole}})
	nag.Suppress(policy, "AwsSolutions-IAM5", "Storage Transfer Service reads every object of the bucket (or under GoogleTransferPrefix)", nag.ObjectsOfBucket)
}

// newTransferQueue creates the queue of an event-driven transfer and points
// the bucket's object-created notifications at it. The notification is set
// on the bucket itself (CDK's addEventNotification would add a Lambda-backed
// custom resource); CloudFormation checks the queue policy when it creates
// the notification, so the bucket waits for the policy.
func (d *Destination) newTransferQueue(p Props) {
	// Notifications Storage Transfer Service fails to process 5 times are
	// kept 14 days in a dead-letter queue, to be redriven.
	dlq := awssqs.NewQueue(d, jsii.String("TransferDeadLetterQueue"), &awssqs.QueueProps{
		Encryption:         awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:         jsii.Bool(true),
		RetentionPeriod:    awscdk.Duration_Days(jsii.Number(14)),
		RedriveAllowPolicy: &awssqs.RedriveAllowPolicy{RedrivePermission: awssqs.RedrivePermission_ALLOW_ALL},
	})
	d.transferQueue = awssqs.NewQueue(d, jsii.String("TransferQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		DeadLetterQueue: &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(5)},
	})
	d.transferQueue.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowBucketNotifications"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("s3.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{d.transferQueue.QueueArn()},
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnLike":      map[string]interface{}{"aws:SourceArn": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":s3:::" + p.BucketName)})},
		},
	}))
	queueConfig := map[string]interface{}{"Event": "s3:ObjectCreated:*", "Queue": d.transferQueue.QueueArn()}
	if p.GoogleTransferPrefix != "" {
		queueConfig["Filter"] = map[string]interface{}{"S3Key": map[string]interface{}{"Rules": []interface{}{map[string]interface{}{"Name": "prefix", "Value": p.GoogleTransferPrefix}}}}
	}
	cfn := d.bucket.Node().DefaultChild().(awss3.CfnBucket)
	cfn.AddPropertyOverride(jsii.String("NotificationConfiguration.QueueConfigurations"), []interface{}{queueConfig})
	if qp := d.transferQueue.Node().TryFindChild(jsii.String("Policy")); qp != nil {
		cfn.Node().AddDependency(qp)
	}
}
