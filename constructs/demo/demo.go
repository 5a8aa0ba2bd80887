package demo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/internal/nag"
	"github.com/snapshotlake/snapshotlake/internal/secure"

	"github.com/snapshotlake/snapshotlake/constructs/internal/sfnkit"
	"github.com/snapshotlake/snapshotlake/internal/demodata"
	"github.com/snapshotlake/snapshotlake/internal/kmskey"
)

// SQL returns the seed's demo schema and rows: tables city, country and
// countrylanguage.
func SQL() string { return demodata.SQL }

// AccessLogsReason is why the project's buckets have no S3 server access
// log: where access logs go is an organisation-wide choice (a central log
// bucket per account and region, or CloudTrail S3 data events); the README's
// operations section says how to add either.
const AccessLogsReason = "server access logs go to a log bucket the organisation runs per account and region, or are replaced by CloudTrail S3 data events; see the README's operations section"

// DatabaseName is the demo cluster's default database.
const DatabaseName = "postgres"

// Props configures DemoResources.
type Props struct {
	// MaxCapacity of the Serverless v2 writer, in ACUs. Default: 4.
	MaxCapacity float64
	// RemovalPolicy of the cluster, keys and buckets. Buckets must be emptied
	// before they can be deleted. Default: DESTROY (a demo keeps nothing).
	RemovalPolicy awscdk.RemovalPolicy
}

// DemoResources is the seed's demo (the design card names it so, stutter
// included): an Aurora PostgreSQL Serverless v2
// cluster with the Data API in a two-AZ VPC, the export bucket and key, and
// the destination bucket and key.
type DemoResources struct { //nolint:revive // the design card's name
	constructs.Construct
	vpc               awsec2.Vpc
	cluster           awsrds.DatabaseCluster
	exportKey         awskms.Key
	exportBucket      awss3.Bucket
	destinationKey    awskms.Key
	destinationBucket awss3.Bucket
}

// Vpc returns the VPC (2 AZs, 1 NAT gateway).
func (d *DemoResources) Vpc() awsec2.Vpc { return d.vpc }

// Cluster returns the Aurora PostgreSQL cluster.
func (d *DemoResources) Cluster() awsrds.DatabaseCluster { return d.cluster }

// ExportKey returns the key the export bucket and exports are encrypted with.
func (d *DemoResources) ExportKey() awskms.Key { return d.exportKey }

// ExportBucket returns the staging bucket RDS exports into.
func (d *DemoResources) ExportBucket() awss3.Bucket { return d.exportBucket }

// DestinationKey returns the destination bucket's key.
func (d *DemoResources) DestinationKey() awskms.Key { return d.destinationKey }

// DestinationBucket returns the analytics bucket.
func (d *DemoResources) DestinationBucket() awss3.Bucket { return d.destinationBucket }

// New creates DemoResources. When props are invalid it returns one error
// joining a message per bad prop, each naming the bad value.
func New(scope constructs.Construct, id string, props *Props) (*DemoResources, error) {
	p := Props{}
	if props != nil {
		p = *props
	}
	if p.MaxCapacity == 0 {
		p.MaxCapacity = 4
	}
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_DESTROY
	}
	var errs []error
	if p.MaxCapacity < 1 || p.MaxCapacity > 256 {
		errs = append(errs, fmt.Errorf("demo: MaxCapacity must be between 1 and 256 ACUs, got %g", p.MaxCapacity))
	}
	// SNAPSHOT applies to the cluster only: aws-cdk-lib's
	// CfnResource.applyRemovalPolicy refuses it (or ignores it, by feature
	// flag) for the keys, buckets and log group.
	switch p.RemovalPolicy {
	case awscdk.RemovalPolicy_DESTROY, awscdk.RemovalPolicy_RETAIN, awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE:
	default:
		errs = append(errs, fmt.Errorf("demo: RemovalPolicy must be DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE, got %q", p.RemovalPolicy))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	d := &DemoResources{}
	constructs.NewConstruct_Override(d, scope, jsii.String(id))

	d.vpc = awsec2.NewVpc(d, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(1),
		// true would add a custom resource backed by a Lambda function.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
	})
	flowLogKey := kmskey.New(d, "FlowLogKey", "Encrypts the demo VPC's flow log", p.RemovalPolicy)
	sfnkit.GrantLogsService(flowLogKey)
	d.vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(awslogs.NewLogGroup(d, jsii.String("FlowLogGroup"), &awslogs.LogGroupProps{
			EncryptionKey: flowLogKey,
			Retention:     awslogs.RetentionDays_ONE_YEAR,
			RemovalPolicy: p.RemovalPolicy,
		}), nil),
	})
	d.cluster = awsrds.NewDatabaseCluster(d, jsii.String("Cluster"), &awsrds.DatabaseClusterProps{
		Engine: awsrds.DatabaseClusterEngine_AuroraPostgres(&awsrds.AuroraPostgresClusterEngineProps{
			Version: awsrds.AuroraPostgresEngineVersion_VER_16_6(),
		}),
		Vpc:                     d.vpc,
		VpcSubnets:              &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		Writer:                  awsrds.ClusterInstance_ServerlessV2(jsii.String("Writer"), nil),
		ServerlessV2MinCapacity: jsii.Number(0.5),
		ServerlessV2MaxCapacity: jsii.Number(p.MaxCapacity),
		EnableDataApi:           jsii.Bool(true),
		DefaultDatabaseName:     jsii.String(DatabaseName),
		StorageEncrypted:        jsii.Bool(true),
		IamAuthentication:       jsii.Bool(true),
		RemovalPolicy:           p.RemovalPolicy,
	})
	nag.Suppress(d.cluster, "AwsSolutions-RDS10", "the demo cluster is meant to be destroyed with the stack; deletion protection would block `cdk destroy`")
	nag.Suppress(nag.Child(d.cluster, "Secret"), "AwsSolutions-SMG4", "rotating the secret needs a rotation Lambda function, which this product does not deploy; the demo cluster is short-lived")
	d.exportKey, d.exportBucket = newEncryptedBucket(d, "Export", p.RemovalPolicy, false)
	for _, b := range []awss3.Bucket{d.exportBucket} {
		nag.Suppress(b, "AwsSolutions-S1", AccessLogsReason)
	}
	d.exportBucket.AddLifecycleRule(&awss3.LifecycleRule{
		Id:                                  jsii.String("ExpireExports"),
		Expiration:                          awscdk.Duration_Days(jsii.Number(7)),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	})
	d.destinationKey, d.destinationBucket = newEncryptedBucket(d, "Destination", p.RemovalPolicy, true)
	nag.Suppress(d.destinationBucket, "AwsSolutions-S1", AccessLogsReason)
	d.destinationBucket.AddLifecycleRule(&awss3.LifecycleRule{
		Id:                                  jsii.String("AbortIncompleteUploads"),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	})

	for name, value := range map[string]*string{
		"ClusterArn":            d.cluster.ClusterArn(),
		"ClusterIdentifier":     d.cluster.ClusterIdentifier(),
		"SecretArn":             d.cluster.Secret().SecretArn(),
		"DestinationBucketName": d.destinationBucket.BucketName(),
	} {
		awscdk.NewCfnOutput(d, jsii.String(name), &awscdk.CfnOutputProps{Value: value})
	}
	return d, nil
}

// newEncryptedBucket creates a bucket encrypted with its own rotating key:
// TLS only, public access blocked, ACLs disabled.
func newEncryptedBucket(scope constructs.Construct, name string, removal awscdk.RemovalPolicy, versioned bool) (awskms.Key, awss3.Bucket) {
	key := kmskey.New(scope, name+"Key", name+" bucket of the snapshot export demo", removal)
	props := secure.BucketProps(key)
	props.Versioned = jsii.Bool(versioned)
	props.RemovalPolicy = removal
	bucket := awss3.NewBucket(scope, jsii.String(name+"Bucket"), props)
	return key, bucket
}

// Statements splits SQL into single statements for the Data API, which runs
// one statement per call. Statements end with ";" at the end of a line.
func Statements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, rest)
	}
	return out
}
